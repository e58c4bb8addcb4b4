"""The static filter's tables: what a candidate may name, and the limits on its size.

Data only; sandbox/static_check.py applies them. Names a model often reaches for that break
pointwise-ness are listed with the reason, so a rejection tells the model *why*.
"""

from __future__ import annotations

import ast

MAX_SOURCE_BYTES = 8192
MAX_AST_NODES = 2000
MAX_AST_DEPTH = 40
MAX_CONSTANT = 1e6
MAX_LOOP_BOUND = 32
MAX_UNROLLED = 64  # product of the bounds of nested loops: every iteration is traced
MAX_POWER = 16

POINTWISE_FUNCS = frozenset(
    """abs absolute neg negative add sub subtract mul multiply div divide true_divide pow
    float_power square sqrt rsqrt reciprocal exp exp2 expm1 log log2 log10 log1p sin cos tan
    asin acos atan arcsin arccos arctan sinh cosh tanh asinh acosh atanh arcsinh arccosh
    arctanh sigmoid erf erfc erfinv sign sgn signbit floor ceil round trunc frac fix clamp
    clip clamp_min clamp_max minimum maximum fmin fmax where lerp addcmul addcdiv hypot atan2
    arctan2 logaddexp logaddexp2 xlogy copysign heaviside nan_to_num zeros_like ones_like
    full_like lgamma digamma sinc logit relu isnan isinf isfinite eq ne lt le gt ge greater
    less greater_equal less_equal equal not_equal logical_and logical_or logical_not
    logical_xor fmod remainder i0 deg2rad rad2deg positive""".split()
)
FUNCTIONAL_FUNCS = frozenset(
    """relu relu6 leaky_relu elu selu celu gelu silu mish softplus softsign hardtanh
    hardsigmoid hardswish logsigmoid tanhshrink softshrink hardshrink threshold sigmoid tanh
    """.split()
)
SPECIAL_FUNCS = frozenset(
    "expit erfcx i0e i1 i1e ndtr log_ndtr erf erfc erfinv expm1 exp2 logit sinc xlog1py "
    "gammaln digamma psi entr log1p round".split()
)
TORCH_CONSTANTS = frozenset(
    "pi e inf nan float16 bfloat16 float32 float64 float double half Tensor".split()
)
TENSOR_METHODS = (POINTWISE_FUNCS | FUNCTIONAL_FUNCS) - {"where", "zeros_like", "ones_like",
                                                          "full_like"} | frozenset(
    {"float", "double", "half", "clamp_min", "clamp_max", "exp_", "clone", "detach",
     "type_as", "to"}
)
MATH_NAMES = frozenset(
    """pi e tau inf nan sqrt exp log log2 log10 log1p expm1 sin cos tan asin acos atan atan2
    sinh cosh tanh asinh acosh atanh erf erfc gamma lgamma fabs floor ceil pow hypot
    copysign radians degrees isfinite""".split()
)
SAFE_BUILTINS = frozenset({"abs", "min", "max", "float", "int", "bool", "range", "round",
                           "pow", "sum"})
ALLOWED_STRINGS = frozenset({"tanh", "none"})
ANNOTATION_TYPES = frozenset({"float", "int", "bool"})  # and torch.Tensor
# Names a model often reaches for that break pointwise-ness: rejected as NOT_POINTWISE with
# the reason spelled out, so the repair prompt says *why*.
NOT_POINTWISE = {
    **dict.fromkeys("mean sum std var norm prod logsumexp amax amin max min argmax argmin "
                    "median quantile nanmean nansum count_nonzero all any".split(),
                    "reduces over elements (batch statistics)"),
    **dict.fromkeys("softmax log_softmax layer_norm batch_norm group_norm instance_norm "
                    "normalize local_response_norm".split(), "normalises across elements"),
    **dict.fromkeys("sort argsort topk kthvalue cumsum cumprod cummax cummin roll flip fliplr "
                    "flipud rot90 diff unique".split(), "mixes or reorders elements"),
    **dict.fromkeys("shape size numel dim ndim len nelement".split(),
                    "reads the tensor's shape"),
    **dict.fromkeys("reshape view flatten unflatten squeeze unsqueeze permute transpose t T "
                    "expand repeat cat stack split chunk gather scatter index_select "
                    "masked_select nonzero pad unfold as_strided matmul mm bmm einsum linear "
                    "conv1d conv2d dropout".split(), "works across elements"),
    **dict.fromkeys("item tolist numpy data grad storage data_ptr".split(),
                    "leaves torch for Python values"),
    **dict.fromkeys("rand rand_like randn randn_like randint bernoulli normal "
                    "multinomial".split(), "is random"),
    **dict.fromkeys("arange linspace zeros ones empty full".split(),
                    "creates tensors with a fixed shape"),
}

BANNED_NODES = {
    ast.ClassDef: "classes are not allowed",
    ast.AsyncFunctionDef: "async functions are not allowed",
    ast.Global: "global/nonlocal are not allowed",
    ast.Nonlocal: "global/nonlocal are not allowed",
    ast.With: "'with' blocks are not allowed",
    ast.AsyncWith: "'with' blocks are not allowed",
    ast.Try: "try/except is not allowed",
    ast.Raise: "raise is not allowed",
    ast.While: "while loops are not allowed; use 'for i in range(N)' with a constant N",
    ast.Yield: "generators are not allowed",
    ast.YieldFrom: "generators are not allowed",
    ast.Await: "await is not allowed",
    ast.Delete: "del is not allowed",
    ast.Subscript: "indexing/slicing is not allowed (it is not pointwise); operate on the whole tensor",
    ast.Starred: "star-arguments are not allowed",
    ast.JoinedStr: "strings are not allowed",
    ast.Dict: "dicts are not allowed",
    ast.Set: "sets are not allowed",
    ast.DictComp: "comprehensions other than over range() are not allowed",
    ast.SetComp: "comprehensions other than over range() are not allowed",
    ast.NamedExpr: "the walrus operator is not allowed",
    ast.Assert: "assert is not allowed",
    ast.Match: "match is not allowed",
    ast.AsyncFor: "async loops are not allowed",
    ast.Slice: "indexing/slicing is not allowed (it is not pointwise); operate on the whole tensor",
    ast.FormattedValue: "strings are not allowed",
    ast.Del: "del is not allowed",
    ast.TypeIgnore: "type-ignore comments are not allowed",
}
# Parts of banned statements, and parse modes exec() never produces: refused by name too,
# so every node type of the grammar is either banned or described in sandbox/grammar.py.
_PARTS = ("ExceptHandler", "withitem", "match_case", "MatchValue", "MatchSingleton",
          "MatchSequence", "MatchMapping", "MatchClass", "MatchStar", "MatchAs", "MatchOr",
          "Interactive", "Expression", "FunctionType")
if hasattr(ast, "TryStar"):
    BANNED_NODES[ast.TryStar] = "try/except is not allowed"
for _name in _PARTS:
    if hasattr(ast, _name):
        BANNED_NODES.setdefault(getattr(ast, _name), f"{_name} is not allowed")
