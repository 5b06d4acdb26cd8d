"""Known-wrong submissions of ex04_loss_curves and the score each must get (7 points in all).

Each case edits the correct submission as a student might; see ex01_counting_steps.py for the format.
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
    "x_axis_unlabelled": {
        "why": "the plot does not say whether the x-axis counts epochs or steps",
        "edit": {"plot_loss_curves": [('    ax.set_xlabel("epoch" if per == "epoch" else "step (update)")\n', "")]},
        "fails": ["test_plot_axis_labels"],
        "score": 6,
    },
    "no_legend": {
        "why": "the lines are labelled but no legend is drawn (the hidden per='step' check wants one too)",
        "edit": {"plot_loss_curves": [("    ax.legend()\n", "")]},
        "fails": ["test_plot_lines", "test_plot_axis_labels"],
        "score": 5,
    },
    "callback_records_per_epoch": {
        "why": "StepLossRecorder records in on_epoch_end: one loss per epoch where one per step was asked",
        "edit": {"StepLossRecorder": [
            ("def on_train_batch_end(self, batch, logs=None):", "def on_epoch_end(self, epoch, logs=None):"),
        ]},
        "fails": ["test_callback_counts", "test_callback_losses"],
        "score": 5,
    },
}
