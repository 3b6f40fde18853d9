"""Top-level URLs: pages, the API under /api/, the schema and docs, and /healthz."""

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from . import api, audit_views, health, token_api, two_factor_views, unavailable, views
from .forms import AdminLoginForm, StaffLoginForm
from .staff import views as staff_views

admin.site.login_form = AdminLoginForm
# The database or the broker down: 503 "try again" (error shape under /api/); else the 500.
handler500 = unavailable.server_error

api_urlpatterns = [
    path("auth/token/", token_api.TokenView.as_view(), name="api-token"),
    path("auth/tokens/", token_api.TokenListView.as_view(), name="api-tokens"),
    path("auth/tokens/<int:id>/", token_api.TokenDetailView.as_view(), name="api-token-detail"),
    path("", include("clinic.staff.api_urls")),
    path("", include("patients.api_urls")),
    path("", include("treatments.api_urls")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    re_path(r"", api.api_not_found),  # anything else under /api/, even with odd characters
]

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            redirect_authenticated_user=True, authentication_form=StaffLoginForm
        ),
        name="login",
    ),
    path("login/code/", two_factor_views.code, name="two_factor_code"),
    path("login/two-factor/", two_factor_views.setup, name="two_factor_setup"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/password/", staff_views.password_change, name="password_change"),
    path("healthz", health.healthz, name="healthz"),
    path("audit/", audit_views.audit_log_page, name="audit_log"),
    path("audit/export.csv", audit_views.audit_log_export, name="audit_log_export"),
    path("api/", include(api_urlpatterns)),
    path("fhir/", include("treatments.exchange.fhir_urls")),
    path("staff/", include("clinic.staff.urls")),
    path("patients/", include("patients.urls")),
    path("portal/offers/", include("treatments.waitlist.portal_urls")),
    path("portal/", include("treatments.portal.urls")),
    path("", include("treatments.urls")),
    path("admin/", admin.site.urls),
]

if settings.BENCH_BARE_VIEW:  # bench/run.py's baseline; never set in production
    urlpatterns[:0] = [
        path("bench/bare/", views.bench_bare, name="bench_bare"),
        path("bench/floor-api/", views.BenchFloorApi.as_view(), name="bench_floor_api"),
        path("bench/floor-list/", views.BenchFloorList.as_view(), name="bench_floor_list"),
        path("bench/floor-page/", views.bench_floor_page, name="bench_floor_page"),
    ]
