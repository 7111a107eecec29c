from django.urls import path

from config.sign_in import views

app_name = "second_factor"

urlpatterns = [
    path("set-up/", views.enrol, name="enrol"),
    path("set-up/recovery-codes/", views.recovery_codes, name="codes"),
    path("check/", views.verify, name="verify"),
]
