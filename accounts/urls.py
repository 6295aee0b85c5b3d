from django.urls import path

from accounts import views

urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("profile/calendar/regenerate/", views.calendar_regenerate, name="calendar_regenerate"),
]
