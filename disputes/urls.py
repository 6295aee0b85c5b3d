from django.urls import path

from disputes.views import dashboard

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
]
