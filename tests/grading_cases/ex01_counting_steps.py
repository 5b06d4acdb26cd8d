"""Known-wrong submissions of ex01_counting_steps and the score each must get.

Each case starts from a correct submission (the release notebook with the
solution code filled in) and changes it as a student might:
``edit`` replaces text inside a solution cell (the old text must be there),
``replace`` gives a cell a new source, ``append`` adds code at the end of a cell,
``delete`` removes cells. ``fails`` lists the graded test cells that must score 0;
``score`` is the total the gradebook must show (7 points in all).
"""

FLOOR = "(n_samples + batch_size - 1) // batch_size"

CASES = {
    "floor_instead_of_ceil": {
        "why": "n_samples // batch_size drops the last partial batch; total_steps inherits the error",
        "edit": {"steps_per_epoch": [(FLOOR, "n_samples // batch_size")]},
        "fails": ["test_steps_seed_examples", "test_steps_partial_batch", "test_steps_default_batch_size",
                  "test_total_steps_seed_examples", "test_total_steps_partial_batch"],
        "score": 2,
    },
    "seed004_formula": {
        "why": "total_steps uses seed 004's s = n * e / b, a fraction when the last batch is partial",
        "edit": {"total_steps": [("epochs * steps_per_epoch(n_samples, batch_size)", "n_samples * epochs / batch_size")]},
        "fails": ["test_total_steps_seed_examples", "test_total_steps_partial_batch"],
        "score": 5,
    },
    "no_default_batch_size": {
        "why": "batch_size=None is not replaced by Keras' default of 32 (TypeError on None)",
        "edit": {"steps_per_epoch": [("    if batch_size is None:\n        batch_size = 32\n", "")]},
        "fails": ["test_steps_default_batch_size", "test_total_steps_partial_batch"],
        "score": 5,
    },
    "remainder_only": {
        "why": "last_batch_size returns n_samples % batch_size: 0 when batch_size divides n_samples",
        "edit": {"last_batch_size": [("n_samples % batch_size or batch_size", "n_samples % batch_size")]},
        "fails": ["test_last_batch_size", "test_last_batch_size_edge_cases"],
        "score": 5,
    },
    # Robustness: the grading must survive these and grant nothing it should not.
    "infinite_loop": {
        "why": "last_batch_size never returns; the cells that call it time out, the other parts still count",
        "replace": {"last_batch_size": "def last_batch_size(n_samples, batch_size=None):\n    while True:\n        pass\n"},
        "fails": ["test_last_batch_size", "test_last_batch_size_edge_cases"],
        "score": 5,
    },
    "syntax_error": {
        "why": "a syntax error in steps_per_epoch: Part A and total_steps (which calls it) score nothing",
        "edit": {"steps_per_epoch": [(FLOOR, "(n_samples + batch_size - 1) //")]},
        "fails": [
            "test_steps_seed_examples", "test_steps_partial_batch", "test_steps_default_batch_size",
            "test_total_steps_seed_examples", "test_total_steps_partial_batch",
        ],
        "score": 2,
    },
    "deleted_failing_tests": {
        "why": "the floor bug, and the student deleted the test cells that failed",
        "edit": {"steps_per_epoch": [(FLOOR, "n_samples // batch_size")]},
        "delete": ["test_steps_partial_batch", "test_steps_default_batch_size", "test_total_steps_partial_batch"],
        "fails": ["test_steps_seed_examples", "test_steps_partial_batch", "test_steps_default_batch_size",
                  "test_total_steps_seed_examples", "test_total_steps_partial_batch"],
        "score": 2,
    },
    "edited_failing_tests": {
        "why": "the floor bug, and the student emptied the test cells that failed (nbgrader restores them)",
        "edit": {"steps_per_epoch": [(FLOOR, "n_samples // batch_size")]},
        "replace": {
            "test_steps_partial_batch": "pass",
            "test_steps_default_batch_size": "assert True",
            "test_total_steps_partial_batch": "pass",
        },
        "fails": ["test_steps_seed_examples", "test_steps_partial_batch", "test_steps_default_batch_size",
                  "test_total_steps_seed_examples", "test_total_steps_partial_batch"],
        "score": 2,
    },
    "redefined_test_helper": {
        "why": "the floor bug, and the student redefined the test helper to accept anything",
        "edit": {"steps_per_epoch": [(FLOOR, "n_samples // batch_size")]},
        "append": {"steps_per_epoch": "\n\ndef expect_equal(*args, **kwargs):\n    pass\n"},
        "fails": ["test_steps_seed_examples", "test_steps_partial_batch", "test_steps_default_batch_size",
                  "test_total_steps_seed_examples", "test_total_steps_partial_batch"],
        "score": 2,
    },
    # Graded on observations (the judge re-checks them outside the kernel); hidden tests use other values.
    "hardcoded_visible_answers": {
        "why": "steps_per_epoch looks up the visible tests' answers and floors the rest: only hidden tests catch it",
        "edit": {"steps_per_epoch": [(FLOOR, "{(7, 3): 3, (10, 4): 3, (1001, 20): 51, (100, 32): 4, (6, 32): 1}.get("
                                             "(n_samples, batch_size), n_samples // batch_size)")]},
        "fails": ["test_steps_seed_examples", "test_steps_partial_batch", "test_steps_default_batch_size",
                  "test_total_steps_seed_examples", "test_total_steps_partial_batch"],
        "score": 2,
    },
    # Correct solutions written another way keep full marks.
    "ceil_of_division": {
        "why": "math.ceil(n_samples / batch_size), imported in the solution cell",
        "edit": {"steps_per_epoch": [(FLOOR, "math.ceil(n_samples / batch_size)"),
                                     ("    if batch_size is None:", "    import math\n    if batch_size is None:")]},
        "fails": [],
        "score": None,
    },
    "negative_floor_division": {
        "why": "-(-n // b), batch_size defaulted with `or`, last batch from the step count",
        "edit": {
            "steps_per_epoch": [(FLOOR, "-(-n_samples // batch_size)")],
            "total_steps": [("epochs * steps_per_epoch(n_samples, batch_size)",
                             "steps_per_epoch(n_samples, batch_size) * epochs")],
            "last_batch_size": [("    if batch_size is None:\n        batch_size = 32\n"
                                 "    return n_samples % batch_size or batch_size",
                                 "    batch_size = batch_size or 32\n"
                                 "    return n_samples - (steps_per_epoch(n_samples, batch_size) - 1) * batch_size")],
        },
        "fails": [],
        "score": None,
    },
    "range_length_and_numpy_results": {
        "why": "len(range(0, n, b)) for the steps; NumPy integers returned by total_steps and last_batch_size",
        "edit": {
            "steps_per_epoch": [(FLOOR, "len(range(0, n_samples, batch_size))")],
            "total_steps": [("epochs * steps_per_epoch(n_samples, batch_size)",
                             "np.int64(epochs) * np.int64(steps_per_epoch(n_samples, batch_size))")],
            "last_batch_size": [("n_samples % batch_size or batch_size",
                                 "np.int64(n_samples) - np.int64(batch_size) * "
                                 "np.int64((n_samples - 1) // batch_size)")],
        },
        "append": {"steps_per_epoch": "\n\nimport numpy as np\n"},
        "fails": [],
        "score": None,
    },
}
