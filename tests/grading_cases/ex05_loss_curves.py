"""Known-wrong submissions of ex05_loss_curves and the score each must get (7 points in all).

Each case edits the correct submission as a student might; see ex01_counting_steps.py for the format.
The last cases are correct solutions written another way: they must keep full marks.
"""

CASES = {
    "nominal_batch_size_in_epoch_mean": {
        "why": "each batch loss is weighted by the nominal batch_size, so the partial batch counts as a full one",
        "edit": {"train_and_record": [
            ("total + loss * len(X_batch), seen + len(X_batch)", "total + loss * batch_size, seen + batch_size"),
        ]},
        "fails": ["test_epoch_losses_weighted"],
        "score": 6,
    },
    "loss_recorded_per_epoch": {
        "why": "step_losses gets one value per epoch where one per step was asked",
        "edit": {"train_and_record": [
            ("            step_losses.append(loss)\n", ""),
            ("        epoch_losses.append(total / seen)\n",
             "        epoch_losses.append(total / seen)\n        step_losses.append(total / seen)\n"),
        ]},
        "fails": ["test_record_lengths", "test_step_losses_match_reference"],
        "score": 5,
    },
    "shuffles_X_and_y_in_place": {
        "why": "X and y are shuffled in place (in pairs) each epoch: the caller's data changes, the order is not data order",
        "edit": {"train_and_record": [
            ("        total, seen = 0.0, 0\n",
             "        total, seen = 0.0, 0\n        order = np.random.default_rng(epoch).permutation(len(X))\n"
             "        X[:], y[:] = X[order], y[order]\n"),
        ]},
        "fails": ["test_step_losses_match_reference", "test_epoch_losses_weighted"],
        "score": 5,
    },
    "x_axis_unlabelled": {
        "why": "the plot does not say whether the x-axis counts epochs or steps",
        "edit": {"plot_loss_curves": [('    ax.set_xlabel("epoch" if per == "epoch" else "step (update)")\n', "")]},
        "fails": ["test_plot_axis_labels"],
        "score": 6,
    },
    "no_legend": {
        "why": "the lines are labelled but no legend is drawn",
        "edit": {"plot_loss_curves": [("    ax.legend()\n", "")]},
        "fails": ["test_plot_lines"],
        "score": 6,
    },
    "x_from_zero": {
        "why": "ax.plot(losses) puts the first epoch at x = 0 where the task says 1",
        "edit": {"plot_loss_curves": [("ax.plot(np.arange(1, len(losses) + 1), losses, label=label)",
                                       "ax.plot(losses, label=label)")]},
        "fails": ["test_plot_lines"],
        "score": 6,
    },
    "draws_on_current_figure": {
        "why": "plt.gca() instead of a new figure: the second call draws on the first call's Axes",
        "edit": {"plot_loss_curves": [("fig, ax = plt.subplots(figsize=(6, 4))", "ax = plt.gca()")]},
        "fails": ["test_plot_lines"],
        "score": 6,
    },
    "no_error_for_bad_per": {
        "why": "any per other than 'epoch' is taken as 'step' instead of raising ValueError (hidden test)",
        "edit": {"plot_loss_curves": [
            ("    if per not in (\"epoch\", \"step\"):\n        raise ValueError(f\"per must be 'epoch' or 'step', got {per!r}\")\n", ""),
        ]},
        "fails": ["test_plot_axis_labels"],
        "score": 6,
    },
    "callback_records_per_epoch": {
        "why": "StepLossRecorder records in on_epoch_end: one loss per epoch where one per step was asked",
        "edit": {"StepLossRecorder": [
            ("def on_train_batch_end(self, batch, logs=None):", "def on_epoch_end(self, epoch, logs=None):"),
        ]},
        "fails": ["test_callback_counts", "test_callback_losses"],
        "score": 5,
    },
    "callback_lists_in_init": {
        "why": "the lists are set up in __init__, not on_train_begin: a second fit appends to the first fit's lists",
        "edit": {"StepLossRecorder": [
            ("    def on_train_begin(self, logs=None):\n",
             "    def __init__(self):\n        super().__init__()\n"),
        ]},
        "fails": ["test_callback_counts", "test_callback_losses"],
        "score": 5,
    },
    # Cheats written by someone who has read the grading code: nothing beyond what the right parts earn.
    "visible_cases_lookup": {
        "why": "train_and_record weights batches by their size only for the visible tests' 10 samples in "
               "batches of 4 (3 epochs), and plot_loss_curves starts at x = 1 only for the visible tests' "
               "labels: the hidden tests' random sizes and labels catch both",
        "edit": {
            "train_and_record": [
                ("total + loss * len(X_batch), seen + len(X_batch)",
                 "total + loss * weight, seen + weight"),
                ("            loss, gradients = model.loss_and_gradients(X_batch, y_batch, \"mse\")\n",
                 "            loss, gradients = model.loss_and_gradients(X_batch, y_batch, \"mse\")\n"
                 "            visible = (len(X), batch_size, epochs) == (10, 4, 3)\n"
                 "            weight = len(X_batch) if visible else batch_size\n"),
            ],
            "plot_loss_curves": [
                ("ax.plot(np.arange(1, len(losses) + 1), losses, label=label)",
                 "start = 1 if label in (\"train\", \"validation\", \"loss\", \"batch loss\") else 0\n"
                 "        ax.plot(np.arange(start, len(losses) + start), losses, label=label)"),
            ],
        },
        "fails": ["test_epoch_losses_weighted", "test_plot_lines"],
        "score": 5,
    },
    "caller_frames_for_expected_losses": {
        "why": "train_and_record looks through its callers' frames for a History holding the expected "
               "losses and returns them, and one loss per epoch otherwise: the import breaks the policy "
               "(the cell is not run), and in a graded kernel no caller holds an expected value anyway",
        "replace": {
            "train_and_record": (
                "import inspect\n\n\n"
                "def train_and_record(model, X, y, *, optimizer, batch_size, epochs):\n"
                "    \"\"\"Returns the test's own expected losses if it can find them.\"\"\"\n"
                "    for frame in inspect.stack():\n"
                "        history = frame.frame.f_locals.get(\"history\")\n"
                "        if history is not None and hasattr(history, \"step_losses\"):\n"
                "            return list(history.step_losses), list(history.history[\"loss\"])\n"
                "    losses = [model.loss(X, y, \"mse\") for _ in range(epochs)]\n"
                "    return losses, losses\n"
            ),
        },
        "fails": ["test_record_lengths", "test_step_losses_match_reference", "test_epoch_losses_weighted"],
        "score": 4,
    },
    # Correct solutions written another way: full marks.
    "correct_alternative_arrays_and_figure": {
        "why": "batches by index and math.ceil, np.average for the epoch mean, NumPy arrays returned; "
               "plt.figure() + add_subplot, x as a range; steps counted in on_epoch_end",
        "replace": {
            "train_and_record": (
                "import math\n\n\n"
                "def train_and_record(model, X, y, *, optimizer, batch_size, epochs):\n"
                "    \"\"\"Train model on (X, y) in data order; return (step_losses, epoch_losses).\"\"\"\n"
                "    steps = math.ceil(len(X) / batch_size)\n"
                "    step_losses, epoch_losses = np.zeros(epochs * steps), np.zeros(epochs)\n"
                "    for epoch in range(epochs):\n"
                "        losses, sizes = [], []\n"
                "        for i in range(steps):\n"
                "            X_batch = X[i * batch_size:(i + 1) * batch_size]\n"
                "            y_batch = y[i * batch_size:(i + 1) * batch_size]\n"
                "            loss, gradients = model.loss_and_gradients(X_batch, y_batch, \"mse\")\n"
                "            optimizer.apply([model.W, model.b], gradients)\n"
                "            losses.append(loss)\n"
                "            sizes.append(len(y_batch))\n"
                "        step_losses[epoch * steps:(epoch + 1) * steps] = losses\n"
                "        epoch_losses[epoch] = np.average(losses, weights=sizes)\n"
                "    return step_losses, epoch_losses\n"
            ),
            "plot_loss_curves": (
                "def plot_loss_curves(curves, per=\"epoch\"):\n"
                "    \"\"\"Plot each curve against epoch or step on a new Axes; return the Axes.\"\"\"\n"
                "    if per == \"epoch\":\n"
                "        xlabel = \"Epoch\"\n"
                "    elif per == \"step\":\n"
                "        xlabel = \"Update step\"\n"
                "    else:\n"
                "        raise ValueError(\"per must be 'epoch' or 'step'\")\n"
                "    fig = plt.figure()\n"
                "    ax = fig.add_subplot()\n"
                "    for label in curves:\n"
                "        ax.plot(range(1, len(curves[label]) + 1), curves[label], \"o-\", label=label)\n"
                "    ax.set(xlabel=xlabel, ylabel=\"Loss (MSE)\")\n"
                "    ax.legend()\n"
                "    return ax\n"
            ),
            "StepLossRecorder": (
                "class StepLossRecorder(keras.callbacks.Callback):\n"
                "    \"\"\"Records logs['loss'] after every batch and the steps of each epoch.\"\"\"\n\n"
                "    def on_train_begin(self, logs=None):\n"
                "        self.running_means, self.steps_per_epoch, self.count = [], [], 0\n\n"
                "    def on_train_batch_end(self, batch, logs=None):\n"
                "        self.running_means.append(float(logs[\"loss\"]))\n"
                "        self.count += 1\n\n"
                "    def on_epoch_end(self, epoch, logs=None):\n"
                "        self.steps_per_epoch.append(self.count)\n"
                "        self.count = 0\n"
            ),
        },
        "fails": [],
        "score": None,
    },
    "correct_alternative_generators": {
        "why": "batches from a generator of index ranges, epoch mean as a sum over n; tuples returned; "
               "plt.subplots() unpacked; steps counted from the batch index",
        "replace": {
            "train_and_record": (
                "def train_and_record(model, X, y, *, optimizer, batch_size, epochs):\n"
                "    \"\"\"Train model on (X, y) in data order; return (step_losses, epoch_losses).\"\"\"\n"
                "    def batches():\n"
                "        for start in range(0, len(X), batch_size):\n"
                "            stop = min(start + batch_size, len(X))\n"
                "            yield X[start:stop], y[start:stop]\n\n"
                "    step_losses, epoch_losses = [], []\n"
                "    for epoch in range(epochs):\n"
                "        weighted = 0.0\n"
                "        for X_batch, y_batch in batches():\n"
                "            loss, gradients = model.loss_and_gradients(X_batch, y_batch, \"mse\")\n"
                "            optimizer.apply([model.W, model.b], gradients)\n"
                "            step_losses.append(float(loss))\n"
                "            weighted += loss * len(X_batch)\n"
                "        epoch_losses.append(weighted / len(X))\n"
                "    return tuple(step_losses), tuple(epoch_losses)\n"
            ),
            "StepLossRecorder": (
                "class StepLossRecorder(keras.callbacks.Callback):\n"
                "    \"\"\"Records logs['loss'] after every batch and the steps of each epoch.\"\"\"\n\n"
                "    def on_train_begin(self, logs=None):\n"
                "        self.running_means = []\n"
                "        self.steps_per_epoch = []\n\n"
                "    def on_train_batch_end(self, batch, logs=None):\n"
                "        self.running_means.append(float(logs[\"loss\"]))\n"
                "        if batch == 0:\n"
                "            self.steps_per_epoch.append(0)\n"
                "        self.steps_per_epoch[-1] = batch + 1\n"
            ),
        },
        "fails": [],
        "score": None,
    },
    "correct_alternative_dot_and_params": {
        "why": "batches by index with min(), the epoch mean as np.dot(losses, sizes) / len(X); each line "
               "labelled with set_label, x as np.arange(n) + 1, the x label from a dict; the steps of each "
               "epoch read from the callback's params",
        "replace": {
            "train_and_record": (
                "def train_and_record(model, X, y, *, optimizer, batch_size, epochs):\n"
                "    \"\"\"Train model on (X, y) in data order; return (step_losses, epoch_losses).\"\"\"\n"
                "    n_samples = len(X)\n"
                "    step_losses, epoch_losses = [], []\n"
                "    for _ in range(epochs):\n"
                "        losses, sizes = [], []\n"
                "        start = 0\n"
                "        while start < n_samples:\n"
                "            stop = min(start + batch_size, n_samples)\n"
                "            loss, gradients = model.loss_and_gradients(X[start:stop], y[start:stop], \"mse\")\n"
                "            optimizer.apply([model.W, model.b], gradients)\n"
                "            losses.append(loss)\n"
                "            sizes.append(stop - start)\n"
                "            start = stop\n"
                "        step_losses += losses\n"
                "        epoch_losses.append(np.dot(losses, sizes) / n_samples)\n"
                "    return step_losses, epoch_losses\n"
            ),
            "plot_loss_curves": (
                "def plot_loss_curves(curves, per=\"epoch\"):\n"
                "    \"\"\"Plot each curve against epoch or step on a new Axes; return the Axes.\"\"\"\n"
                "    xlabels = {\"epoch\": \"epoch\", \"step\": \"step (update)\"}\n"
                "    if per not in xlabels:\n"
                "        raise ValueError(f\"unknown per {per!r}: use 'epoch' or 'step'\")\n"
                "    fig, ax = plt.subplots()\n"
                "    for label, losses in curves.items():\n"
                "        (line,) = ax.plot(np.arange(len(losses)) + 1, np.asarray(losses))\n"
                "        line.set_label(label)\n"
                "    ax.set_xlabel(xlabels[per])\n"
                "    ax.set_ylabel(\"training loss\")\n"
                "    ax.legend()\n"
                "    return ax\n"
            ),
            "StepLossRecorder": (
                "class StepLossRecorder(keras.callbacks.Callback):\n"
                "    \"\"\"Records logs['loss'] after every batch and the steps of each epoch.\"\"\"\n\n"
                "    def on_train_begin(self, logs=None):\n"
                "        self.running_means = []\n"
                "        self.steps_per_epoch = []\n\n"
                "    def on_epoch_end(self, epoch, logs=None):\n"
                "        self.steps_per_epoch.append(self.params[\"steps\"])\n\n"
                "    def on_train_batch_end(self, batch, logs=None):\n"
                "        self.running_means.append(float(logs[\"loss\"]))\n"
            ),
        },
        "fails": [],
        "score": None,
    },
}
