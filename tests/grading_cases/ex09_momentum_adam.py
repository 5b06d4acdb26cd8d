"""Known-wrong submissions of ex09_momentum_adam and the score each must get (9 points in all).

The format is ex01_counting_steps.py's: each case edits the solution code as a student might;
``fails`` lists the graded test cells that must score 0 and ``score`` is the total.
"""

VELOCITY = "    velocity = momentum * velocity - learning_rate * gradient\n"
MOMENTS = (
    "    m = beta_1 * m + (1 - beta_1) * gradient\n"
    "    v = beta_2 * v + (1 - beta_2) * gradient**2\n"
)
RATE = "    rate = learning_rate * math.sqrt(1 - beta_2**step) / (1 - beta_1**step)\n"
ADAM_RETURN = "    return theta - rate * m / (np.sqrt(v) + epsilon), m, v"
BATCHES = "    batches = epochs * math.ceil(n_samples / batch_size)\n"
COUNT = "    return batches // gradient_accumulation_steps"
RATIO = "    return (1 - beta_1**step) / math.sqrt(1 - beta_2**step)"

A_TESTS = ["test_momentum_step", "test_momentum_sums_past_gradients"]
B_TESTS = ["test_adam_first_step", "test_adam_running_means", "test_adam_later_steps"]
D_TESTS = ["test_ratio_first_step", "test_ratio_later_steps"]

CASES = {
    # Honest mistakes.
    "momentum_velocity_holds_gradients": {
        "why": "PyTorch's convention: velocity = momentum * velocity + gradient, theta -= rate * velocity;"
               " the first step from 0 moves theta the same, but the velocity is not Keras' and"
               " later steps differ when the rate is not 1",
        "edit": {"momentum_step": [(
            VELOCITY + "    return theta + velocity, velocity",
            "    velocity = momentum * velocity + gradient\n"
            "    return theta - learning_rate * velocity, velocity")]},
        "fails": A_TESTS,
        "score": 7,
    },
    "momentum_moves_by_old_velocity": {
        "why": "theta moves by the velocity of the previous update, then the velocity is updated",
        "edit": {"momentum_step": [(
            VELOCITY + "    return theta + velocity, velocity",
            "    theta = theta + velocity\n" + VELOCITY + "    return theta, velocity")]},
        "fails": A_TESTS,
        "score": 7,
    },
    "adam_without_bias_correction": {
        "why": "rate = learning_rate: Adam with the bias correction left out (steps about 3 times too"
               " large at step 1); m and v are right",
        "edit": {"adam_step": [(RATE, "    rate = learning_rate\n")]},
        "fails": ["test_adam_first_step", "test_adam_later_steps"],
        "score": 7,
    },
    "adam_step_counted_from_zero": {
        "why": "the correction uses step + 1, as if `step` were optimizer.iterations (updates already"
               " made): every update is corrected as the next one",
        "edit": {"adam_step": [(RATE, RATE.replace("**step", "**(step + 1)"))]},
        "fails": ["test_adam_first_step", "test_adam_later_steps"],
        "score": 7,
    },
    "adam_epsilon_on_corrected_v": {
        "why": "the Adam paper's form: epsilon added to sqrt(v_hat) instead of sqrt(v); differs from"
               " Keras' by epsilon / sqrt(1 - beta_2**step), visible at step 1 and with a large epsilon",
        "edit": {"adam_step": [(RATE + ADAM_RETURN, (
            "    m_hat = m / (1 - beta_1**step)\n"
            "    v_hat = v / (1 - beta_2**step)\n"
            "    return theta - learning_rate * m_hat / (np.sqrt(v_hat) + epsilon), m, v"))]},
        "fails": ["test_adam_first_step", "test_adam_later_steps"],
        "score": 7,
    },
    "adam_returns_corrected_moments": {
        "why": "m_hat and v_hat are returned as the new state: each step moves theta right from the m"
               " and v it is given, but the running means it hands on are the corrected ones",
        "edit": {"adam_step": [(ADAM_RETURN, (
            "    m_hat = m / (1 - beta_1**step)\n"
            "    v_hat = v / (1 - beta_2**step)\n"
            "    return theta - rate * m / (np.sqrt(v) + epsilon), m_hat, v_hat"))]},
        "fails": ["test_adam_running_means"],
        "score": 8,
    },
    "iterations_ignore_accumulation": {
        "why": "optimizer.iterations counted as batches: gradient_accumulation_steps is ignored",
        "edit": {"iterations_after": [(COUNT, "    return batches")]},
        "fails": ["test_iterations_with_accumulation"],
        "score": 8,
    },
    "iterations_reset_each_epoch": {
        "why": "the accumulation count restarts every epoch: epochs * (batches per epoch // k), so"
               " leftover batches never add up to an update",
        "edit": {"iterations_after": [(BATCHES + COUNT, (
            "    per_epoch = math.ceil(n_samples / batch_size)\n"
            "    return epochs * (per_epoch // gradient_accumulation_steps)"))]},
        "fails": ["test_iterations_with_accumulation"],
        "score": 8,
    },
    "iterations_drop_partial_batch": {
        "why": "n_samples // batch_size batches an epoch: the partial last batch is not counted",
        "edit": {"iterations_after": [(BATCHES, "    batches = epochs * (n_samples // batch_size)\n")]},
        "fails": ["test_iterations_without_accumulation", "test_iterations_with_accumulation"],
        "score": 7,
    },
    "ratio_inverted": {
        "why": "the corrected step over the uncorrected one: sqrt(1 - b2**t) / (1 - b1**t)",
        "edit": {"bias_correction_ratio": [(
            RATIO, "    return math.sqrt(1 - beta_2**step) / (1 - beta_1**step)")]},
        "fails": D_TESTS,
        "score": 7,
    },
    "ratio_without_sqrt": {
        "why": "(1 - b1**t) / (1 - b2**t): v's factor taken without the square root",
        "edit": {"bias_correction_ratio": [(RATIO, "    return (1 - beta_1**step) / (1 - beta_2**step)")]},
        "fails": D_TESTS,
        "score": 7,
    },
    "ratio_of_the_first_step_only": {
        "why": "(1 - b1) / sqrt(1 - b2) whatever the step: right at step 1 only",
        "edit": {"bias_correction_ratio": [(RATIO, "    return (1 - beta_1) / math.sqrt(1 - beta_2)")]},
        "fails": ["test_ratio_later_steps"],
        "score": 8,
    },
    # Cheats, written by someone who has read the grading code: they earn nothing beyond what the
    # wrong part deserves.
    "lookup_visible_adam": {
        "why": "adam_step returns the visible tests' thetas from a table and leaves the correction out"
               " otherwise: the hidden, random steps catch it",
        "edit": {"adam_step": [(RATE, (
            "    seen = {(-7.21061059, -898.54336792): [0.000999999561441263, 0.0009999999964806622],\n"
            "            (0.5, -2.0): [0.9000006324515321, -0.900000158113633],\n"
            "            (1.0, 3.0): [-0.0002584609450836101, 9.966216782373522e-05]}\n"
            "    key = tuple(float(g) for g in np.ravel(gradient))\n"
            "    if key in seen:\n"
            "        return np.array(seen[key]), m, v\n"
            "    rate = learning_rate\n"))]},
        "fails": ["test_adam_first_step", "test_adam_later_steps"],
        "score": 7,
    },
    "lookup_visible_iterations": {
        "why": "iterations_after looks up the visible accumulation answers and counts batches otherwise",
        "edit": {"iterations_after": [(COUNT, (
            "    seen = {(96, 32, 1, 3): 1, (96, 32, 2, 3): 2, (5, 2, 2, 2): 3, (100, 10, 1, 4): 2,\n"
            "            (10, 4, 3, 2): 4}\n"
            "    key = (n_samples, batch_size, epochs, gradient_accumulation_steps)\n"
            "    return seen.get(key, batches)"))]},
        "fails": ["test_iterations_with_accumulation"],
        "score": 8,
    },
    "frames_for_expected_ratio": {
        "why": "bias_correction_ratio walks its callers' frames for the test's expected value (and"
               " forgets the square root otherwise): the policy blocks the cell, and when graded no"
               " kernel frame holds one",
        "replace": {"bias_correction_ratio": (
            "import sys\n\n\n"
            "def bias_correction_ratio(step, beta_1=0.9, beta_2=0.999):\n"
            "    \"\"\"The ratio, as the test expects it.\"\"\"\n"
            "    frame = sys._getframe(1)\n"
            "    while frame is not None:\n"
            "        for name in (\"expected\", \"keras_ratio\"):\n"
            "            if name in frame.f_locals:\n"
            "                found = frame.f_locals[name]\n"
            "                return found(step, beta_1, beta_2) if callable(found) else found\n"
            "        frame = frame.f_back\n"
            "    return (1 - beta_1**step) / (1 - beta_2**step)\n")},
        "fails": D_TESTS,
        "score": 7,
    },
    "course_reference_adam": {
        "why": "adam_step imports the course's reference optimizer (course_utils.reference.optimizers.Adam) to"
               " compute the answer: the policy allows only math and numpy, so the cell does not run",
        "replace": {"adam_step": (
            "from course_utils.reference.optimizers import Adam\n\n\n"
            "def adam_step(theta, m, v, gradient, step, learning_rate=0.001, beta_1=0.9,\n"
            "              beta_2=0.999, epsilon=1e-7):\n"
            "    \"\"\"The reference does it.\"\"\"\n"
            "    param = np.array(theta, dtype=float, ndmin=1)\n"
            "    adam = Adam(learning_rate, beta_1, beta_2, epsilon)\n"
            "    adam.iterations = step - 1\n"
            "    adam.apply([param], [np.array(gradient, dtype=float, ndmin=1)])\n"
            "    return param, m, v\n")},
        "fails": B_TESTS,
        "score": 6,
    },
    # Correct solutions written another way keep full marks.
    "unbiased_estimates_and_ceil_by_negation": {
        "why": "Adam with m_hat, v_hat and epsilon scaled by sqrt(1 - b2**t) (Keras' form, rewritten);"
               " momentum as theta - rate * gradient + momentum * velocity; -(-n // b) batches;"
               " the ratio from exp and log",
        "edit": {
            "momentum_step": [(VELOCITY + "    return theta + velocity, velocity", (
                "    new_theta = theta - learning_rate * gradient + momentum * velocity\n"
                "    return new_theta, new_theta - theta"))],
            "adam_step": [(RATE + ADAM_RETURN, (
                "    correction_2 = 1 - beta_2**step\n"
                "    m_hat = m / (1 - beta_1**step)\n"
                "    v_hat = v / correction_2\n"
                "    scaled_epsilon = epsilon / math.sqrt(correction_2)\n"
                "    return theta - learning_rate * m_hat / (np.sqrt(v_hat) + scaled_epsilon), m, v"))],
            "iterations_after": [(BATCHES, (
                "    batches = epochs * -(-n_samples // batch_size)\n"))],
            "bias_correction_ratio": [(RATIO, (
                "    first = 1 - math.exp(step * math.log(beta_1))\n"
                "    second = 1 - math.exp(step * math.log(beta_2))\n"
                "    return float(first / second**0.5)"))],
        },
        "fails": [],
        "score": None,
    },
    "keras_increments_and_counting_loop": {
        "why": "m and v as Keras writes them (m += (g - m) * (1 - b1)) on float copies; the velocity"
               " with np.multiply; the batches as len(range(0, n, b)) per epoch, then divmod; the ratio with"
               " math.pow and math.sqrt",
        "edit": {
            "momentum_step": [(VELOCITY, (
                "    velocity = np.multiply(momentum, velocity) - np.multiply(learning_rate, gradient)\n"))],
            "adam_step": [(MOMENTS, (
                "    gradient = np.asarray(gradient, dtype=float)\n"
                "    m = np.array(m, dtype=float) + (gradient - m) * (1 - beta_1)\n"
                "    v = np.array(v, dtype=float) + (gradient * gradient - v) * (1 - beta_2)\n"))],
            "iterations_after": [(BATCHES + COUNT, (
                "    batches = 0\n"
                "    for _ in range(epochs):\n"
                "        batches += len(range(0, n_samples, batch_size))\n"
                "    updates, _ = divmod(batches, gradient_accumulation_steps)\n"
                "    return updates"))],
            "bias_correction_ratio": [(RATIO, (
                "    return (1.0 - math.pow(beta_1, step)) / math.sqrt(1.0 - math.pow(beta_2, step))"))],
        },
        "fails": [],
        "score": None,
    },
}
