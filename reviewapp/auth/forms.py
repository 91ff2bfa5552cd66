from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from reviewapp.services.accounts import MIN_PASSWORD_LENGTH


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired()])
    password = PasswordField("Password", validators=[DataRequired()])


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired()])
    new_password = PasswordField("New password", validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH)],
                                 description=f"At least {MIN_PASSWORD_LENGTH} characters.")
    confirm = PasswordField("Repeat new password",
                            validators=[DataRequired(), EqualTo("new_password", "Passwords differ.")])


class EmptyForm(FlaskForm):
    """A form with only the CSRF token, for one-button actions."""

