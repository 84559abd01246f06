from __future__ import annotations

from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.utils.translation import gettext_lazy as _

from dure.accounts.models import User


class SignupForm(UserCreationForm):
    display_name = forms.CharField(label=_("Display name"), max_length=150, required=False)
    email = forms.EmailField(label=_("Email"), required=False)

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "display_name", "email")


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Token name"), max_length=100, initial="api")
