from django.urls import path

from gridgov.accounts import views, views_admin

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/verify/", views.totp_verify, name="totp_verify"),
    path("login/enrol/", views.totp_enrol, name="totp_enrol"),
    path("logout/", views.logout_view, name="logout"),
    path("account/password/", views.password_change, name="password_change"),
    # My account: everyone.
    path("account/", views_admin.my_account, name="account"),
    path("account/tokens/", views_admin.token_create, name="account_token_create"),
    path(
        "account/tokens/<int:pk>/revoke/",
        views_admin.token_revoke,
        name="account_token_revoke",
    ),
    # Accounts and posts: the three administrators (三员分立), each for their part.
    path("admin/users/", views_admin.user_list, name="admin_users"),
    path("admin/users/new/", views_admin.user_create, name="admin_user_create"),
    path("admin/users/<str:username>/", views_admin.user_detail, name="admin_user_detail"),
    path(
        "admin/users/<str:username>/disable/",
        views_admin.user_disable,
        name="admin_user_disable",
    ),
    path("admin/users/<str:username>/enable/", views_admin.user_enable, name="admin_user_enable"),
    path(
        "admin/users/<str:username>/reset-password/",
        views_admin.user_reset_password,
        name="admin_user_reset_password",
    ),
    path(
        "admin/users/<str:username>/reset-totp/",
        views_admin.user_reset_totp,
        name="admin_user_reset_totp",
    ),
    path("admin/posts/", views_admin.post_list, name="admin_posts"),
    path("admin/posts/grant/", views_admin.post_grant, name="admin_post_grant"),
    path("admin/posts/<int:pk>/end/", views_admin.post_end, name="admin_post_end"),
]
