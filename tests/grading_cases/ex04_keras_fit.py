"""Known-wrong submissions of ex04_keras_fit and the score each must get (8 points in all).

Each case edits the correct submission as a student might; see ex01_counting_steps.py for the format.
The last cases are correct solutions written another way: they must keep full marks.
"""

CASES = {
    "seed_lr_spelling": {
        "why": "copied from the seed: SGD(lr=0.01) raises ValueError in Keras 3, so no model is built; "
               "Parts B and C train the model of build_seed000_model (a graded test cannot build one of its "
               "own in the kernel), so they fail too",
        "edit": {"build_seed000_model": [("SGD(learning_rate=0.01)", "SGD(lr=0.01)")]},
        "fails": ["test_seed000_architecture", "test_seed000_compile", "test_seed000_fit_counts",
                  "test_seed000_fit_matches_reference", "test_full_batch_six_samples",
                  "test_full_batch_forty_samples"],
        "score": 2,
    },
    "adam_instead_of_sgd": {
        "why": "seed 000's model compiled with Adam instead of SGD at learning rate 0.01",
        "edit": {"build_seed000_model": [("keras.optimizers.SGD(learning_rate=0.01)", '"adam"')]},
        "fails": ["test_seed000_compile"],
        "score": 7,
    },
    "no_binary_accuracy_metric": {
        "why": "seed 000's model compiled without metrics=['binary_accuracy']",
        "edit": {"build_seed000_model": [(',\n                  metrics=["binary_accuracy"])', ")")]},
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
    "no_accuracy_metric": {
        "why": "the digits model is compiled without metrics=['accuracy']",
        "edit": {"build_digits_model": [(', metrics=["accuracy"])', ")")]},
        "fails": ["test_digits_model_trains"],
        "score": 7,
    },
    # Cheats written by someone who has read the grading code: nothing beyond what the right parts earn.
    "visible_cases_lookup": {
        "why": "fit_seed000 and fit_full_batch do it right only on the visible tests' data (13 points; 6 or "
               "40 samples) and leave out batch_size elsewhere: the hidden tests' random data catch both",
        "replace": {
            "fit_seed000": (
                "def fit_seed000(model, X, y, epochs=200):\n"
                "    \"\"\"Right on the visible test's 13 points only.\"\"\"\n"
                "    if len(X) == 13:\n"
                "        return model.fit(X, y, batch_size=1, epochs=epochs, shuffle=False, verbose=0)\n"
                "    return model.fit(X, y, epochs=epochs, shuffle=False, verbose=0)\n"
            ),
            "fit_full_batch": (
                "def fit_full_batch(model, X, y, epochs):\n"
                "    \"\"\"Right on the visible tests' 6 and 40 samples only.\"\"\"\n"
                "    if len(X) in (6, 40):\n"
                "        return model.fit(X, y, batch_size=len(X), epochs=epochs, verbose=0)\n"
                "    return model.fit(X, y, epochs=epochs, verbose=0)\n"
            ),
        },
        "fails": ["test_seed000_fit_counts", "test_seed000_fit_matches_reference", "test_full_batch_forty_samples"],
        "score": 5,
    },
    "caller_frames_for_expected_weights": {
        "why": "fit_seed000 looks through its callers' frames for expected weights or losses to copy, and "
               "fits with Keras' default batch size otherwise: the import breaks the policy (the cell is not "
               "run), and in a graded kernel no caller holds an expected value anyway",
        "replace": {
            "fit_seed000": (
                "import inspect\n\n\n"
                "def fit_seed000(model, X, y, epochs=200):\n"
                "    \"\"\"Copies expected weights from the test if it can find them.\"\"\"\n"
                "    history = model.fit(X, y, epochs=epochs, verbose=0)\n"
                "    for frame in inspect.stack():\n"
                "        for name in (\"weights\", \"expected\", \"reference\"):\n"
                "            found = frame.frame.f_locals.get(name)\n"
                "            if isinstance(found, np.ndarray) and found.size == 2:\n"
                "                model.set_weights([found[:1].reshape(1, 1), found[1:]])\n"
                "    return history\n"
            ),
        },
        "fails": ["test_seed000_fit_counts", "test_seed000_fit_matches_reference"],
        "score": 6,
    },
    # Correct solutions written another way: full marks.
    "correct_alternative_steps_per_epoch_1": {
        "why": "steps_per_epoch=1 and no batch_size: Keras 3 then makes the batch ceil(n / 1) = n samples",
        "edit": {"fit_full_batch": [("batch_size=len(X), ", "steps_per_epoch=1, ")]},
        "fails": [],
        "score": None,
    },
    "correct_alternative_functional": {
        "why": "functional API, SGD(0.01) positional, BinaryAccuracy and SparseCategoricalAccuracy objects, "
               "batch_size=X.shape[0] with steps_per_epoch=1, a hidden layer in Part D",
        "replace": {
            "build_seed000_model": (
                "def build_seed000_model():\n"
                "    \"\"\"Seed 000's classifier in Keras 3.\"\"\"\n"
                "    inputs = keras.Input(shape=(1,))\n"
                "    outputs = keras.layers.Dense(1, activation=\"sigmoid\")(inputs)\n"
                "    model = keras.Model(inputs, outputs)\n"
                "    model.compile(optimizer=keras.optimizers.SGD(0.01),\n"
                "                  loss=keras.losses.BinaryCrossentropy(),\n"
                "                  metrics=[keras.metrics.BinaryAccuracy()])\n"
                "    return model\n"
            ),
            "fit_seed000": (
                "def fit_seed000(model, X, y, epochs=200):\n"
                "    \"\"\"Fit as seed 000 does.\"\"\"\n"
                "    history = model.fit(X, y, epochs=epochs, shuffle=False, batch_size=1, verbose=0)\n"
                "    return history\n"
            ),
            "fit_full_batch": (
                "def fit_full_batch(model, X, y, epochs):\n"
                "    \"\"\"Full-batch training.\"\"\"\n"
                "    return model.fit(X, y, batch_size=X.shape[0], steps_per_epoch=1, epochs=epochs,\n"
                "                     verbose=0)\n"
            ),
            "build_digits_model": (
                "def build_digits_model():\n"
                "    \"\"\"Seed 004's classifier for 8x8 digits, with a hidden layer.\"\"\"\n"
                "    inputs = keras.Input(shape=(8, 8))\n"
                "    hidden = keras.layers.Dense(32, activation=\"relu\")(keras.layers.Flatten()(inputs))\n"
                "    outputs = keras.layers.Dense(10, activation=\"softmax\")(hidden)\n"
                "    model = keras.Model(inputs, outputs)\n"
                "    model.compile(optimizer=keras.optimizers.Adam(),\n"
                "                  loss=keras.losses.SparseCategoricalCrossentropy(),\n"
                "                  metrics=[keras.metrics.SparseCategoricalAccuracy()])\n"
                "    return model\n"
            ),
        },
        "fails": [],
        "score": None,
    },
    "correct_alternative_sequential_add": {
        "why": "Sequential built with add, metrics=['accuracy'], batch_size=len(X) with shuffle=False, "
               "two hidden layers in Part D",
        "replace": {
            "build_seed000_model": (
                "def build_seed000_model():\n"
                "    \"\"\"Seed 000's classifier in Keras 3.\"\"\"\n"
                "    model = keras.Sequential()\n"
                "    model.add(keras.Input(shape=(1,)))\n"
                "    model.add(keras.layers.Dense(1, activation=\"sigmoid\"))\n"
                "    sgd = keras.optimizers.SGD(learning_rate=0.01, momentum=0.0)\n"
                "    model.compile(optimizer=sgd, loss=\"binary_crossentropy\", metrics=[\"accuracy\"])\n"
                "    return model\n"
            ),
            "fit_full_batch": (
                "def fit_full_batch(model, X, y, epochs):\n"
                "    \"\"\"Full-batch training.\"\"\"\n"
                "    n = len(X)\n"
                "    return model.fit(X, y, batch_size=n, epochs=epochs, shuffle=False, verbose=0)\n"
            ),
            "build_digits_model": (
                "def build_digits_model():\n"
                "    \"\"\"Seed 004's classifier for 8x8 digits, with two hidden layers.\"\"\"\n"
                "    model = keras.Sequential()\n"
                "    model.add(keras.Input(shape=(8, 8)))\n"
                "    model.add(keras.layers.Flatten())\n"
                "    model.add(keras.layers.Dense(64, activation=\"relu\"))\n"
                "    model.add(keras.layers.Dense(32, activation=\"relu\"))\n"
                "    model.add(keras.layers.Dense(10, activation=\"softmax\"))\n"
                "    model.compile(optimizer=\"adam\", loss=\"sparse_categorical_crossentropy\",\n"
                "                  metrics=[\"accuracy\"])\n"
                "    return model\n"
            ),
        },
        "fails": [],
        "score": None,
    },
    "correct_alternative_keyword_functions": {
        "why": "activation and loss as Keras functions, fit's arguments by keyword, batch size from np.shape, "
               "a softmax function and an Adam object in Part D",
        "replace": {
            "build_seed000_model": (
                "def build_seed000_model():\n"
                "    \"\"\"Seed 000's classifier in Keras 3.\"\"\"\n"
                "    layer = keras.layers.Dense(units=1, activation=keras.activations.sigmoid)\n"
                "    model = keras.Sequential([keras.Input(shape=(1,)), layer])\n"
                "    model.compile(optimizer=keras.optimizers.SGD(learning_rate=1e-2),\n"
                "                  loss=keras.losses.binary_crossentropy,\n"
                "                  metrics=[\"binary_accuracy\"])\n"
                "    return model\n"
            ),
            "fit_seed000": (
                "def fit_seed000(model, X, y, epochs=200):\n"
                "    \"\"\"Fit as seed 000 does.\"\"\"\n"
                "    options = dict(batch_size=1, shuffle=False, verbose=0)\n"
                "    return model.fit(x=X, y=y, epochs=epochs, **options)\n"
            ),
            "fit_full_batch": (
                "def fit_full_batch(model, X, y, epochs):\n"
                "    \"\"\"Full-batch training.\"\"\"\n"
                "    n_samples = np.shape(X)[0]\n"
                "    return model.fit(x=X, y=y, batch_size=n_samples, epochs=epochs, verbose=0)\n"
            ),
            "build_digits_model": (
                "def build_digits_model():\n"
                "    \"\"\"Seed 004's classifier for 8x8 digits.\"\"\"\n"
                "    model = keras.Sequential([\n"
                "        keras.Input(shape=(8, 8)),\n"
                "        keras.layers.Flatten(),\n"
                "        keras.layers.Dense(10, activation=keras.activations.softmax),\n"
                "    ])\n"
                "    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.001),\n"
                "                  loss=\"sparse_categorical_crossentropy\", metrics=[\"accuracy\"])\n"
                "    return model\n"
            ),
        },
        "fails": [],
        "score": None,
    },
}
