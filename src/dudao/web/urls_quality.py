"""Routes of the value-added and quality-evaluation report pages."""

from django.urls import path

from dudao.web.views import quality

urlpatterns = [
    path("quality/value-added/<str:code>/", quality.county, name="va_county"),
    path("quality/value-added/<str:code>.pdf", quality.county_pdf, name="va_county_pdf"),
    path("quality/value-added/school/<str:code>/", quality.school, name="va_school"),
    path("quality/report/<str:code>/", quality.report, name="quality_report"),
    path("quality/report/<str:code>.pdf", quality.report_pdf, name="quality_report_pdf"),
]
