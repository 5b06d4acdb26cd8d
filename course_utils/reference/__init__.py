"""The reference implementation: batches, models, losses, optimizers and the training loop, held against Keras 3 by the tests."""
