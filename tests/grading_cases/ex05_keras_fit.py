"""Known-wrong submissions of ex05_keras_fit and the score each must get (8 points in all).

Each case edits the correct submission as a student might; see ex01_counting_steps.py for the format.
"""

CASES = {
    "seed_lr_spelling": {
        "why": "copied from the seed: SGD(lr=0.01) raises ValueError in Keras 3, so no model is built",
        "edit": {"build_seed000_model": [("SGD(learning_rate=0.01)", "SGD(lr=0.01)")]},
        "fails": ["test_seed000_architecture", "test_seed000_compile"],
        "score": 6,
    },
    "adam_instead_of_sgd": {
        "why": "seed 000's model compiled with Adam instead of SGD at learning rate 0.01",
        "edit": {"build_seed000_model": [("keras.optimizers.SGD(learning_rate=0.01)", '"adam"')]},
        "fails": ["test_seed000_compile"],
        "score": 7,
    },
    "default_batch_size": {
        "why": "fit_seed000 leaves out batch_size=1: Keras uses 32, one update per epoch instead of 13",
        "edit": {"fit_seed000": [("batch_size=1, ", "")]},
        "fails": ["test_seed000_fit_counts", "test_seed000_fit_matches_reference"],
        "score": 6,
    },
    "shuffled": {
        "why": "fit_seed000 leaves out shuffle=False: the updates come in a random order, the weights differ",
        "edit": {"fit_seed000": [("shuffle=False, ", "")]},
        "fails": ["test_seed000_fit_matches_reference"],
        "score": 7,
    },
    "no_batch_size_is_not_full_batch": {
        "why": "seed 002's claim: fit without batch_size is full batch; true for 6 samples, not for 40",
        "edit": {"fit_full_batch": [("batch_size=len(X), ", "")]},
        "fails": ["test_full_batch_forty_samples"],
        "score": 7,
    },
    "categorical_instead_of_sparse": {
        "why": "categorical_crossentropy expects one-hot labels; the digits have integer labels",
        "edit": {"build_digits_model": [('loss="sparse_categorical_crossentropy"', 'loss="categorical_crossentropy"')]},
        "fails": ["test_digits_model_config", "test_digits_model_trains"],
        "score": 6,
    },
}
