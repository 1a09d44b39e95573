"""The only place that imports WeasyPrint."""

from flask import current_app, render_template


def render_pdf(template: str, **context) -> bytes:
    from weasyprint import HTML

    html = render_template(template, **context)
    return HTML(string=html, base_url=current_app.root_path).write_pdf()
