"""Known-wrong submissions of ex07_schedules and the score each must get (9 points in all).

The format is ex01_counting_steps.py's: each case edits the solution code as a student might;
``fails`` lists the graded test cells that must score 0 and ``score`` is the total.
"""

EXPONENT = "    p = step / decay_steps\n    if staircase:\n        p = math.floor(p)\n"
RAMP = "    return float(start + (target - start) * step / warmup_steps)"
UPDATE = "        theta = theta - schedule(step) * gradient"
GRADIENT = "        gradient = np.array([error.mean(), (error * x).mean()])"
SCALING = (
    '    if rule == "linear":\n        return base_learning_rate * k\n'
    '    if rule == "sqrt":\n        return base_learning_rate * math.sqrt(k)\n'
    "    raise ValueError(f\"rule must be 'linear' or 'sqrt', got {rule!r}\")"
)

CASES = {
    "staircase_ignored": {
        "why": "exponential_decay never rounds the exponent down: staircase=True changes nothing",
        "edit": {"exponential_decay": [(EXPONENT, "    p = step / decay_steps\n")]},
        "fails": ["test_exponential_decay_staircase"],
        "score": 8,
    },
    "always_staircase": {
        "why": "the exponent is step // decay_steps whatever staircase says: a staircase every time",
        "edit": {"exponential_decay": [(EXPONENT, "    p = step // decay_steps\n")]},
        "fails": ["test_exponential_decay"],
        "score": 8,
    },
    "warmup_one_step_ahead": {
        "why": "the ramp uses step + 1: the first update already gets a rate above start",
        "edit": {"linear_warmup": [(RAMP, "    return float(start + (target - start) * (step + 1) / warmup_steps)")]},
        "fails": ["test_warmup_ramp", "test_warmup_then_target"],
        "score": 7,
    },
    "warmup_divides_by_zero": {
        "why": "the ramp is computed before the warmup check: warmup_steps=0 divides by zero",
        "replace": {"linear_warmup": (
            "def linear_warmup(step, target, warmup_steps, start=0.0):\n"
            "    rate = start + (target - start) * step / warmup_steps\n"
            "    return float(target if step >= warmup_steps else rate)\n")},
        "fails": ["test_warmup_then_target"],
        "score": 8,
    },
    "rule_ignored": {
        "why": "scaled_learning_rate always scales linearly and accepts any rule",
        "edit": {"scaled_learning_rate": [(SCALING, "    return base_learning_rate * k")]},
        "fails": ["test_sqrt_scaling_and_bad_rule"],
        "score": 8,
    },
    "sum_not_mean": {
        "why": "the gradient sums over the samples instead of averaging: 100 times too large a step",
        "edit": {"descend_with_schedule": [(GRADIENT, "        gradient = np.array([error.sum(), (error * x).sum()])")]},
        "fails": ["test_constant_schedule_is_full_batch_gd", "test_decaying_schedule"],
        "score": 7,
    },
    "schedule_asked_once": {
        "why": "the rate is taken once, before the loop: a constant schedule works, a decaying one is ignored",
        "edit": {"descend_with_schedule": [
            ("    for step in range(steps):", "    rate = schedule(0)\n    for step in range(steps):"),
            (UPDATE, "        theta = theta - rate * gradient")]},
        "fails": ["test_schedule_called_once_per_update", "test_decaying_schedule"],
        "score": 7,
    },
    "step_off_by_one": {
        "why": "schedule(step + 1): the first update uses the rate of the second, as if iterations started at 1",
        "edit": {"descend_with_schedule": [(UPDATE, "        theta = theta - schedule(step + 1) * gradient")]},
        "fails": ["test_schedule_called_once_per_update", "test_decaying_schedule"],
        "score": 7,
    },
    # Graded on observations: the hidden tests use other values than the visible ones.
    "hardcoded_visible_staircase": {
        "why": "exponential_decay looks up the visible staircase answers and never rounds otherwise",
        "edit": {"exponential_decay": [(EXPONENT, (
            "    seen = {0: 0.1, 99: 0.1, 100: 0.05, 199: 0.05, 250: 0.025}\n"
            "    if staircase and decay_steps == 100 and step in seen:\n"
            "        return seen[step]\n"
            "    p = step / decay_steps\n"))]},
        "fails": ["test_exponential_decay_staircase"],
        "score": 8,
    },
    "hardcoded_visible_linear": {
        "why": "scaled_learning_rate looks up the visible linear answers and uses sqrt(k) for every other"
               " linear call: only the hidden, random sizes catch it",
        "edit": {"scaled_learning_rate": [("    k = batch_size / base_batch_size\n", (
            "    k = batch_size / base_batch_size\n"
            "    seen = {(0.1, 32, 256): 0.8, (0.1, 32, 16): 0.05, (0.025, 4, 4): 0.025,\n"
            "            (0.01, 10, 25): 0.025}\n"
            "    if rule == \"linear\":\n"
            "        key = (base_learning_rate, base_batch_size, batch_size)\n"
            "        return seen.get(key, base_learning_rate * math.sqrt(k))\n"))]},
        "fails": ["test_linear_scaling"],
        "score": 8,
    },
    "frames_for_expected_rates": {
        "why": "exponential_decay walks its callers' frames for an `expected` rate (and floors the exponent"
               " otherwise): the policy blocks the cell, and when graded no kernel frame holds one",
        "replace": {"exponential_decay": (
            "import sys\n\n\n"
            "def exponential_decay(\n"
            "    step, initial_learning_rate, decay_steps, decay_rate, staircase=False\n"
            "):\n"
            "    \"\"\"The rate after `step` updates, as the test expects it.\"\"\"\n"
            "    frame = sys._getframe(1)\n"
            "    while frame is not None:\n"
            "        if \"expected\" in frame.f_locals:\n"
            "            return frame.f_locals[\"expected\"]\n"
            "        frame = frame.f_back\n"
            "    return initial_learning_rate * decay_rate ** (step // decay_steps)\n")},
        "fails": ["test_exponential_decay", "test_exponential_decay_staircase"],
        "score": 7,
    },
    "forged_schedule_record": {
        "why": "descend_with_schedule takes schedule(0) once and writes steps 0..steps-1 into the tests'"
               " RateTable (a list) as if it had asked for them: the hidden table moves theta at one"
               " later step only",
        "edit": {"descend_with_schedule": [
            ("    for step in range(steps):",
             "    rate = schedule(0)\n"
             "    if isinstance(schedule, list):\n"
             "        schedule.clear()\n"
             "        schedule.extend(range(steps))\n"
             "    for step in range(steps):"),
            (UPDATE, "        theta = theta - rate * gradient")]},
        "fails": ["test_schedule_called_once_per_update", "test_decaying_schedule"],
        "score": 7,
    },
    "redefined_rate_table": {
        "why": "the rate is taken once, descend_with_schedule writes the steps it should have asked for,"
               " and the student's own RateTable gives the largest rate to any step: the given cell defines"
               " RateTable again before the tests, and a copy placed after it still fails the hidden check"
               " (one table moves theta at step 0, the other at a later step: moves per unit of rate differ)",
        "edit": {"descend_with_schedule": [
            ("    for step in range(steps):",
             "    rate = schedule(0)\n"
             "    if isinstance(schedule, list):\n"
             "        schedule.clear()\n"
             "        schedule.extend(range(steps))\n"
             "    for step in range(steps):"),
            (UPDATE, "        theta = theta - rate * gradient")]},
        "append": {"descend_with_schedule": (
            "\n\n\nclass RateTable(list):\n"
            "    def __init__(self, rates):\n"
            "        super().__init__()\n"
            "        self.rates = [float(rate) for rate in rates]\n\n"
            "    def __call__(self, step):\n"
            "        return max(self.rates)\n")},
        "fails": ["test_schedule_called_once_per_update", "test_decaying_schedule"],
        "score": 7,
    },
    # Correct solutions written another way keep full marks.
    "floor_division_and_numpy_floats": {
        "why": "step // decay_steps for the staircase, np.float64 results left unconverted",
        "edit": {
            "exponential_decay": [(EXPONENT, "    p = step // decay_steps if staircase else step / decay_steps\n"),
                                  ("    return float(initial_learning_rate * decay_rate**p)",
                                   "    return np.float64(initial_learning_rate) * np.power(decay_rate, p)")],
        },
        "fails": [],
        "score": None,
    },
    "min_warmup_and_matrix_gradient": {
        "why": "the ramp with min(); the gradient as a design-matrix product; sqrt via ** 0.5",
        "edit": {
            "linear_warmup": [(
                "    if step >= warmup_steps:\n        return float(target)\n" + RAMP,
                "    if not warmup_steps:\n        return target\n"
                "    return start + (target - start) * min(step, warmup_steps) / warmup_steps")],
            "descend_with_schedule": [(GRADIENT, (
                "        design = np.column_stack([np.ones_like(x), x])\n"
                "        gradient = design.T @ error / len(x)"))],
            "scaled_learning_rate": [("base_learning_rate * math.sqrt(k)", "base_learning_rate * k**0.5")],
        },
        "fails": [],
        "score": None,
    },
    "exp_log_dict_rules_while_loop": {
        "why": "exp(p * log(decay_rate)) with a float floor; the warmup as a fraction capped at 1; the rules"
               " as exponents of k; a while loop updating a copy of theta in place",
        "edit": {
            "exponential_decay": [
                (EXPONENT, "    p = step / decay_steps\n    if staircase:\n        p = float(int(p))\n"),
                ("    return float(initial_learning_rate * decay_rate**p)",
                 "    return initial_learning_rate * math.exp(p * math.log(decay_rate))")],
            "linear_warmup": [(
                "    if step >= warmup_steps:\n        return float(target)\n" + RAMP,
                "    fraction = 1.0 if warmup_steps == 0 else min(1.0, step / warmup_steps)\n"
                "    return start + (target - start) * fraction")],
            "scaled_learning_rate": [(SCALING, (
                "    exponents = {\"linear\": 1.0, \"sqrt\": 0.5}\n"
                "    if rule not in exponents:\n"
                "        raise ValueError(f\"unknown rule={rule!r}; use 'linear' or 'sqrt'\")\n"
                "    return base_learning_rate * k ** exponents[rule]"))],
            "descend_with_schedule": [(
                "    theta = np.array(theta, dtype=float)\n    for step in range(steps):\n"
                "        error = theta[0] + theta[1] * x - y\n" + GRADIENT + "\n" + UPDATE,
                "    theta = np.asarray(theta, dtype=float).copy()\n"
                "    design = np.stack([np.ones(len(x)), x], axis=1)\n"
                "    step = 0\n"
                "    while step < steps:\n"
                "        rate = schedule(step)\n"
                "        theta -= rate * design.T @ (design @ theta - y) / len(y)\n"
                "        step += 1")],
        },
        "fails": [],
        "score": None,
    },
}
