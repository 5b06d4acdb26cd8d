"""Math as MathML, written at build time (latex2mathml): no MathJax, no script, no font to fetch.

Browsers draw MathML Core themselves (Chromium 109+, Firefox, Safari). A formula that
latex2mathml cannot read fails the build, naming the page and the formula.
"""

from docutils import nodes
from latex2mathml.converter import convert
from sphinx.errors import ExtensionError


def _mathml(self, node, display: str) -> str:
    try:
        return convert(node.astext(), display=display)
    except Exception as error:  # latex2mathml raises its own exceptions for unknown commands
        where = f"{node.source or self.builder.current_docname}:{node.line}"
        raise ExtensionError(f"{where}: cannot write ${node.astext()}$ as MathML: {error!r}") from error


def visit_math(self, node):
    self.body.append(f'<span class="math">{_mathml(self, node, "inline")}</span>')
    raise nodes.SkipNode


def visit_math_block(self, node):
    self.body.append(f'<div class="math">{_mathml(self, node, "block")}</div>')
    raise nodes.SkipNode


def setup(app):
    app.add_html_math_renderer("mathml", (visit_math, None), (visit_math_block, None))
    return {"parallel_read_safe": True, "parallel_write_safe": True}
