"""Data tables of the policy: for each module a graded cell may import, the names it may reach.

An attribute chain that starts at an imported module (``np.random.default_rng``)
is checked link by link against these tables: a name not listed is refused,
so a new path to a file reader or to the interpreter cannot slip through.
A module a student may import is one of :data:`STANDARD` or one the
assignment allows (its ``allowed_imports``); either way it needs a table here.
"""

from __future__ import annotations

_NUMPY = """
False_ True_ abs absolute acos acosh add all allclose amax amin angle any append apply_along_axis
apply_over_axes arange arccos arccosh arcsin arcsinh arctan arctan2 arctanh argmax argmin argpartition argsort
argwhere around array array2string array_equal array_equiv array_repr array_split array_str asanyarray asarray
asarray_chkfinite ascontiguousarray asfortranarray asin asinh astype atan atan2 atanh atleast_1d atleast_2d
atleast_3d average bincount bool bool_ broadcast broadcast_arrays broadcast_shapes broadcast_to c_ can_cast cbrt
ceil choose clip column_stack complex128 complex64 complexfloating concat concatenate conj conjugate convolve copy
copysign copyto corrcoef correlate cos cosh count_nonzero cov cross cumprod cumsum cumulative_prod cumulative_sum
deg2rad degrees delete diag diag_indices diagflat diagonal diff digitize divide divmod dot double dsplit dstack
dtype e ediff1d einsum empty empty_like equal errstate euler_gamma exp exp2 expand_dims expm1 extract eye fabs
fill_diagonal finfo fix flatnonzero flip fliplr flipud float16 float32 float64 float_power floating floor
floor_divide fmax fmin fmod frexp fromfunction fromiter full full_like gcd geomspace gradient greater
greater_equal heaviside histogram histogram_bin_edges hsplit hstack hypot identity iinfo imag index_exp indices
inexact inf inner insert int16 int32 int64 int8 int_ intc integer interp intersect1d intp invert isclose
iscomplex isfinite isin isinf isnan isneginf isposinf isreal isscalar issubdtype ix_ kron lcm ldexp less
less_equal lexsort linalg linspace log log10 log1p log2 logaddexp logaddexp2 logical_and logical_not logical_or
logical_xor logspace matmul max maximum mean median meshgrid mgrid min minimum mod modf moveaxis multiply nan
nan_to_num nanargmax nanargmin nancumprod nancumsum nanmax nanmean nanmedian nanmin nanpercentile nanprod
nanquantile nanstd nansum nanvar ndarray ndim negative newaxis nextafter nonzero not_equal number ogrid ones
ones_like outer pad partition percentile pi piecewise polyfit polyval positive pow power prod ptp put
put_along_axis quantile r_ rad2deg radians random ravel ravel_multi_index real reciprocal remainder repeat
reshape resize result_type rint roll rollaxis rot90 round s_ searchsorted select setdiff1d setxor1d shape sign
signbit sin sinc sinh size sort spacing split sqrt square squeeze stack std subtract sum swapaxes take
take_along_axis tan tanh tensordot tile trace transpose trapezoid tri tril tril_indices triu triu_indices
true_divide trunc uint16 uint32 uint64 uint8 union1d unique unique_counts unique_inverse unique_values
unravel_index unstack vdot vecdot vsplit vstack where zeros zeros_like
"""

_NUMPY_RANDOM = """
Generator PCG64 SeedSequence beta binomial choice default_rng exponential gamma geometric integers laplace
logistic lognormal multinomial multivariate_normal normal permutation poisson rand randint randn random
random_sample seed shuffle standard_normal uniform
"""

_NUMPY_LINALG = """
LinAlgError cholesky cond det eig eigh eigvals eigvalsh inv lstsq matrix_norm matrix_power matrix_rank multi_dot
norm pinv qr slogdet solve svd svdvals vector_norm
"""

_KERAS = """
Input Model Sequential activations backend callbacks initializers layers losses metrics models ops optimizers
regularizers utils
"""

_KERAS_PARTS = {
    "keras.layers": "Activation Dense Dropout Flatten Input InputLayer Normalization Rescaling",
    "keras.optimizers": "Adagrad Adam AdamW Optimizer RMSprop SGD schedules",
    "keras.optimizers.schedules": (
        "CosineDecay ExponentialDecay InverseTimeDecay LearningRateSchedule PiecewiseConstantDecay PolynomialDecay"),
    "keras.losses": (
        "BinaryCrossentropy CategoricalCrossentropy Huber MeanAbsoluteError MeanSquaredError "
        "SparseCategoricalCrossentropy binary_crossentropy mean_absolute_error mean_squared_error "
        "sparse_categorical_crossentropy"),
    "keras.metrics": (
        "Accuracy BinaryAccuracy CategoricalAccuracy Mean MeanAbsoluteError MeanSquaredError "
        "SparseCategoricalAccuracy"),
    "keras.callbacks": "Callback EarlyStopping History LambdaCallback",
    "keras.utils": "set_random_seed to_categorical",
    "keras.models": "Model Sequential clone_model",
    "keras.backend": "clear_session epsilon floatx",
    "keras.regularizers": "L1 L2 L1L2 l1 l2",
    "keras.initializers": "Constant GlorotUniform HeNormal Ones RandomNormal RandomUniform Zeros",
    "keras.activations": "linear relu sigmoid softmax tanh",
    "keras.ops": (
        "abs add argmax convert_to_numpy exp log matmul maximum mean minimum multiply ones reshape sigmoid sqrt "
        "square sum transpose zeros"),
}

_PYPLOT = """
axhline axvline bar close figure gca gcf grid hist legend loglog plot rcParams scatter semilogx semilogy show
subplot subplots suptitle tight_layout title xlabel xlim xscale xticks ylabel ylim yscale yticks
"""

STANDARD = {
    "math": """acos acosh asin asinh atan atan2 atanh cbrt ceil comb copysign cos cosh degrees dist e erf erfc exp
        exp2 expm1 fabs factorial floor fmod frexp fsum gamma gcd hypot inf isclose isfinite isinf isnan isqrt lcm
        ldexp lgamma log log10 log1p log2 modf nan nextafter perm pi pow prod radians remainder sin sinh sqrt tan
        tanh tau trunc ulp""",
    "numbers": "Complex Integral Number Rational Real",
    "operator": """abs add and_ eq floordiv ge gt index inv invert itemgetter le lshift lt matmul mod mul ne neg
        not_ or_ pos pow rshift sub truediv truth xor""",
    "itertools": """accumulate batched chain combinations combinations_with_replacement compress count cycle
        dropwhile filterfalse groupby islice pairwise permutations product repeat starmap takewhile tee
        zip_longest""",
    "functools": "cache cached_property cmp_to_key lru_cache partial reduce total_ordering wraps",
    "collections": "ChainMap Counter OrderedDict defaultdict deque namedtuple",
    "statistics": """fmean geometric_mean harmonic_mean mean median median_high median_low mode multimode pstdev
        pvariance quantiles stdev variance""",
    "fractions": "Fraction",
    "decimal": "Decimal",
    "random": "Random choice choices gauss normalvariate randint random randrange sample seed shuffle uniform",
    "typing": "Any Callable Iterable Iterator List Optional Sequence Tuple Union",
    "dataclasses": "dataclass field",
    "copy": "copy deepcopy",
    "heapq": "heapify heappop heappush heappushpop heapreplace merge nlargest nsmallest",
    "bisect": "bisect bisect_left bisect_right insort insort_left insort_right",
    "abc": "ABC abstractmethod",
    "collections.abc": "Callable Generator Iterable Iterator Mapping Sequence",
    "__future__": "annotations",
    "warnings": "warn",
    "time": "monotonic perf_counter time",
    "re": "compile escape findall finditer fullmatch match search split sub",
    "string": "ascii_letters ascii_lowercase ascii_uppercase digits",
}
"""Standard-library modules that reach nothing outside the process, and their names a cell may use."""

COURSE = {
    "numpy": _NUMPY,
    "numpy.random": _NUMPY_RANDOM,
    "numpy.linalg": _NUMPY_LINALG,
    "numpy.typing": "ArrayLike DTypeLike NDArray",
    "keras": _KERAS,
    **_KERAS_PARTS,
    "matplotlib.pyplot": _PYPLOT,
    "course_utils.reference.batching": "minibatches batch_indices",
}
"""The course's libraries, as far as the exercises use them (an assignment allows a module by name)."""

MODULE_NAMES = {module: frozenset(names.split()) for module, names in {**STANDARD, **COURSE}.items()}
"""Every module a table covers, with the names a cell may reach in it."""
