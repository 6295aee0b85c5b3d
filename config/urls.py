from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("", include("disputes.urls")),
    path("", include("accounts.urls")),
    path("", include("evidence.urls")),
    path("", include("evidence.analysis_urls")),
    path("accounts/", include("allauth.urls")),
    path("api/v1/", include("disputes.api.urls")),
    path("api/v1/", include("evidence.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api_schema"), name="api_docs"),
    path("admin/", admin.site.urls),
]

# A request refused for its size or counts says which limit it hit (config.errors).
handler400 = "config.errors.bad_request"
# An /api/ URL that matches no route answers in the API's error shape.
handler404 = "config.errors.not_found"
