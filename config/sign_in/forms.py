from django import forms


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=40,
        strip=True,
        error_messages={"required": "Enter the code."},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "spellcheck": "false",
                                      "autocapitalize": "none"}),
    )  # fmt: skip


class EnrolForm(CodeForm):
    code = forms.CharField(
        label="Code from your app",
        help_text="Six numbers, for example 123456.",
        max_length=12,
        strip=True,
        error_messages={"required": "Enter the six numbers your app shows."},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                      }),
    )  # fmt: skip


class VerifyForm(CodeForm):
    code = forms.CharField(
        label="Code",
        help_text="The six numbers your authenticator app shows now, or one of your recovery codes.",
        max_length=40,
        strip=True,
        error_messages={"required": "Enter the code from your app, or a recovery code."},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "spellcheck": "false",
                                      "autocapitalize": "none"}),
    )  # fmt: skip
