from django.urls import path

from gridgov.accounts import views

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/verify/", views.totp_verify, name="totp_verify"),
    path("login/enrol/", views.totp_enrol, name="totp_enrol"),
    path("logout/", views.logout_view, name="logout"),
    path("account/password/", views.password_change, name="password_change"),
]
