"""Plain-data facts about plots and Keras models, for test cells to return from ``observe``.

Kernel side: the probes (:mod:`probes`) apply these to what the student's code
returned, so that the grading process gets numbers, strings and arrays (never a
Figure or a Model) and checks them with trusted code. Nothing here imports
Keras at module level.
"""

from __future__ import annotations

import numpy as np


def axes_facts(result) -> dict:
    """What a plotting function's result (an Axes, or a Figure with one Axes) shows, as plain data."""
    import matplotlib.axes
    import matplotlib.figure

    if isinstance(result, matplotlib.figure.Figure) and len(result.axes) == 1:
        result = result.axes[0]
    if not isinstance(result, matplotlib.axes.Axes):
        return {"is_axes": False, "type": type(result).__name__}
    legend = result.get_legend()
    figure = result.get_figure()
    return {
        "is_axes": True,
        "type": type(result).__name__,
        "figure": getattr(figure, "number", None),
        "lines": [
            {
                "x": np.asarray(line.get_xdata(), dtype=float),
                "y": np.asarray(line.get_ydata(), dtype=float),
                "label": str(line.get_label()),
            }
            for line in result.get_lines()
        ],
        "xlabel": str(result.get_xlabel()),
        "ylabel": str(result.get_ylabel()),
        "legend": None if legend is None else [str(text.get_text()) for text in legend.get_texts()],
    }


def plot_facts(call) -> dict:
    """Call ``call()`` (which plots), then :func:`axes_facts` of its result and whether it drew on a new figure."""
    import matplotlib.pyplot as plt

    before = set(plt.get_fignums())
    facts = axes_facts(call())
    facts["new_figure"] = bool(facts.get("is_axes")) and facts.get("figure") not in before
    facts["figures_before"] = sorted(before)
    return facts


def _maybe(call, default=None):
    try:
        return call()
    except Exception:  # noqa: BLE001 (an unbuilt or odd model: the fact is missing, not an error)
        return default


def _shape(shape):
    return None if shape is None else [None if d is None else int(d) for d in shape]


LAYER_KEYS = ("units", "activation", "name")
"""The layer config entries :func:`model_facts` keeps."""


def model_facts(model) -> dict:
    """A Keras model as plain data: layers, shapes, parameters, weights, optimizer, loss and iterations."""
    optimizer = getattr(model, "optimizer", None)
    layers = []
    for layer in model.layers:
        config = _maybe(layer.get_config, {}) or {}
        kept = {key: config[key] for key in LAYER_KEYS if isinstance(config.get(key), (str, int, float))}
        layers.append({"class": type(layer).__name__, **kept})
    return {
        "layers": layers,
        "input_shape": _maybe(lambda: _shape(model.input_shape)),
        "output_shape": _maybe(lambda: _shape(model.output_shape)),
        "params": _maybe(lambda: int(model.count_params())),
        "weights": [np.asarray(w, dtype=float) for w in model.get_weights()],
        "optimizer": None if optimizer is None else type(optimizer).__name__,
        "optimizer_config": _maybe(lambda: _plain_config(optimizer.get_config()), {}),
        "iterations": _maybe(lambda: int(optimizer.iterations)),
        "loss": _maybe(lambda: str(loss_name(model))),
    }


def _plain_config(config: dict) -> dict:
    """Numbers, strings, booleans and None of a config; anything else (a schedule, say) as its type name."""
    plain = {}
    for key, value in config.items():
        if value is None or isinstance(value, (bool, str)):
            plain[str(key)] = value
        elif isinstance(value, (int, float, np.number)):
            plain[str(key)] = float(value)
        else:
            plain[str(key)] = type(value).__name__
    return plain


def loss_name(model) -> str:
    """The name of a compiled Keras model's loss, whether given as a string, a Loss object or a function."""
    loss = model.loss
    if isinstance(loss, str):
        return loss
    return getattr(loss, "name", None) or getattr(loss, "__name__", type(loss).__name__)


def history_facts(history) -> dict:
    """A Keras ``History`` as plain data: ``history`` (name -> list of floats) and ``params``."""
    logs = history.history
    return {
        "type": type(history).__name__,
        "history": {str(k): [float(v) for v in values] for k, values in logs.items()},
        "params": {str(k): v for k, v in dict(getattr(history, "params", {}) or {}).items()
                   if isinstance(v, (int, float, str)) or v is None},
    }


def _keras_types():
    """Keras' Model and History classes, if Keras is imported (this module never imports it)."""
    import sys

    keras = sys.modules.get("keras")
    if keras is None:
        return (), ()
    return (keras.Model,), (keras.callbacks.History,)


def state_facts(value, _depth: int = 0):
    """A value's state as plain data, copied now (so that a later change does not show).

    A Keras model: :func:`model_facts`; a Keras ``History``: :func:`history_facts`; an
    object with ``get_weights`` (a ``course_utils.reference.models.Dense``): its class and weights;
    an optimizer object (``iterations`` and ``learning_rate``): its class, iterations and
    learning rate; an array, or an object NumPy reads as one (a tensor): a copy; lists,
    tuples and dicts item by item; anything else as it is.
    """
    models, histories = _keras_types()
    if _depth > 8:
        return value
    if models and isinstance(value, models):
        return model_facts(value)
    if histories and isinstance(value, histories):
        return history_facts(value)
    if isinstance(value, np.ndarray):
        return np.array(value, copy=True)
    if value is None or isinstance(value, (bool, int, float, complex, str, np.generic)):
        return value
    if isinstance(value, (list, tuple)):
        items = [state_facts(item, _depth + 1) for item in value]
        return items if isinstance(value, list) else tuple(items)
    if isinstance(value, dict):
        return {key: state_facts(item, _depth + 1) for key, item in value.items()}
    if callable(getattr(value, "get_weights", None)):
        return {"class": type(value).__name__,
                "weights": [np.array(w, dtype=float, copy=True) for w in value.get_weights()]}
    if hasattr(value, "iterations") and hasattr(value, "learning_rate"):
        return {"class": type(value).__name__, "iterations": _maybe(lambda: int(value.iterations)),
                "learning_rate": _maybe(lambda: float(value.learning_rate))}
    if hasattr(value, "__array__"):
        return _maybe(lambda: np.array(value, copy=True), value)
    return value


def keras_session(model, compile=None, fits=(), callback=None, watch=(), evaluate=None, predict=None) -> dict:
    """What Keras' own compile, fit, evaluate and predict do with ``model``, as plain data.

    ``compile``: keyword arguments of ``model.compile`` (None: leave the model as it is);
    ``fits``: keyword arguments of each ``model.fit``, in order (``verbose=0`` unless given);
    ``callback``: an object added to every fit's callbacks, whose attributes named in
    ``watch`` are reported after each fit; ``evaluate``: ``[x, y]`` for ``model.evaluate``;
    ``predict``: the inputs of ``model.predict``. Returns the model's facts before the
    fits, and for each fit the History, the model's facts after it and the watched
    attributes; the evaluation (a dict) and the predictions.
    """
    if compile is not None:
        model.compile(**compile)
    report = {"before": model_facts(model), "fits": [], "evaluated": None, "predicted": None}
    for options in fits:
        options = dict(options)
        options.setdefault("verbose", 0)
        if callback is not None:
            options["callbacks"] = [*options.get("callbacks", []), callback]
        history = model.fit(**options)
        watched = {}
        for name in watch:
            try:
                watched[str(name)] = state_facts(getattr(callback, name))
            except AttributeError:
                pass
        report["fits"].append({"history": history_facts(history), "after": model_facts(model),
                               "watched": watched})
    if evaluate is not None:
        x, y = evaluate
        evaluated = model.evaluate(x, y, verbose=0, return_dict=True)
        report["evaluated"] = {str(name): float(value) for name, value in evaluated.items()}
    if predict is not None:
        report["predicted"] = np.asarray(model.predict(predict, verbose=0), dtype=float)
    return report
