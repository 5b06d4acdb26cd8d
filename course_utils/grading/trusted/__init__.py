"""The trusted side of grading: what only the grading process runs (nbgrader's preprocessors, the sandbox, the judge, the policy, the runner and its reports); a graded kernel never imports it."""
