"""Routes of the inspection and quality-evaluation pages."""

from django.urls import path

from dudao.web.views import inspection

urlpatterns = [
    path("inspection/", inspection.evaluation_list, name="inspection_list"),
    path("inspection/new/", inspection.evaluation_create, name="inspection_create"),
    path("inspection/<int:pk>/", inspection.evaluation_detail, name="inspection_detail"),
    path("inspection/<int:pk>/score/", inspection.evaluation_score, name="inspection_score"),
    path("inspection/<int:pk>/reconcile/", inspection.evaluation_reconcile, name="inspection_reconcile"),
    path("inspection/<int:pk>/rollup/", inspection.evaluation_rollup, name="inspection_rollup"),
    path("inspection/evidence/<int:pk>/", inspection.evidence_download, name="inspection_evidence"),
    path("inspection/frameworks/", inspection.frameworks, name="inspection_frameworks"),
    path("inspection/frameworks/<int:pk>/", inspection.framework_detail, name="inspection_framework"),
    path("inspection/cases/<int:pk>/", inspection.case_site_visits, name="inspection_case"),
]
