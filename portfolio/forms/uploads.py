"""Choosing a file. Whether the file is acceptable is decided by services.uploads, from
its content; the form only asks that one was chosen. Pages using it need
`enctype="multipart/form-data"` on the <form>."""

from flask_wtf.file import FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import GovFileInput, GovSubmitInput
from wtforms import SubmitField

from portfolio.forms.base import BaseForm

# Only a hint to the browser's file chooser: the service checks the content.
ACCEPT = ".pdf,.xlsx,.docx,.png,.jpg,.jpeg"


class UploadForm(BaseForm):
    file = FileField(
        "Upload a file",
        validators=[FileRequired("Select a file")],
        widget=GovFileInput(),
        render_kw={"accept": ACCEPT},
    )
    submit = SubmitField("Upload file", widget=GovSubmitInput())

    def __init__(self, *args, max_size_text: str = "10MB", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.file.description = f"The file must be a PDF, XLSX, DOCX, PNG or JPEG, smaller than {max_size_text}"
