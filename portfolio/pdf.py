"""The only place that imports WeasyPrint."""

from flask import current_app, render_template


def render_pdf(template: str, **context) -> bytes:
    from weasyprint import HTML

    html = render_template(template, **context)
    return HTML(string=html, base_url=current_app.root_path).write_pdf()


def warm_up() -> None:
    """Compile the PDF templates and load WeasyPrint and its fonts once. An rq worker calls this
    before it forks a work-horse per job, so each job starts warm: a monitoring return then renders
    in about 0.1 s instead of 0.6 s (most of which was this)."""
    from weasyprint import HTML

    for name in current_app.jinja_env.list_templates(filter_func=lambda name: name.startswith("pdf/")):
        current_app.jinja_env.get_template(name)
    HTML(string='<body style="font-family: \'DejaVu Sans\', Arial, sans-serif"><table><tr><th>Warm</th>'
                '<td><b>up</b> £1.00</td></tr></table></body>', base_url=current_app.root_path).write_pdf()
