from django.contrib import admin

from .models import Device, DeviceOutage, Practitioner, Protocol, Room, TimeOff, WorkingHours


@admin.register(Protocol)
class ProtocolAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "indication",
        "default_sessions",
        "default_interval_days",
        "session_minutes",
    ]


class WorkingHoursInline(admin.TabularInline):
    model = WorkingHours
    extra = 0


class TimeOffInline(admin.TabularInline):
    model = TimeOff
    extra = 0


@admin.register(Practitioner)
class PractitionerAdmin(admin.ModelAdmin):
    list_display = ["display_name", "user", "active"]
    list_select_related = ["user"]
    inlines = [WorkingHoursInline, TimeOffInline]


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ["name", "active"]


class DeviceOutageInline(admin.TabularInline):
    model = DeviceOutage
    extra = 0


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    list_display = ["name", "model", "serial", "active"]
    inlines = [DeviceOutageInline]
