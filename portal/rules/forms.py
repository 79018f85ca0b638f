"""The forms of the rules pages."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import TextAreaField
from wtforms.validators import Length, Optional


class PublishRuleForm(FlaskForm):
    """A rule document (YAML or JSON), pasted or as a file."""

    document = TextAreaField("document", validators=[Optional(), Length(max=64 * 1024)])
    file = FileField("file")


class ConfirmForm(FlaskForm):
    """A button that changes state: only the CSRF token."""
