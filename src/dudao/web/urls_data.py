"""Routes of the data, standards, assessment, report and audit pages."""

from django.urls import path

from dudao.web.views import assess, audit, data, standards

urlpatterns = [
    path("data/", data.data_page, name="data"),
    path("data/template.<str:fmt>", data.template_download, name="template_download"),
    path("data/upload/", data.upload, name="upload"),
    path("data/school/<str:code>/<int:year>/", data.school_edit, name="school_edit"),
    path("standards/", standards.standards_index, name="standards"),
    path("standards/<str:sid>/", standards.standard_detail, name="standard_detail"),
    path("public/", standards.public_index, name="public_index"),
    path("assess/", assess.assess, name="assess"),
    path("reports/<int:run>/<str:county>.<str:fmt>", assess.report_download, name="report_download"),
    path("audit/", audit.audit_page, name="audit"),
]
