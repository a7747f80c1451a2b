"""Routes of the student aid pages."""

from django.urls import path

from dudao.web.views import aid

urlpatterns = [
    path("aid/", aid.home, name="aid_home"),
    path("aid/region/<str:code>/", aid.region, name="aid_region"),
    path("aid/region/<str:code>/proposals/", aid.proposals, name="aid_proposals"),
    path("aid/proposals/<int:pk>/", aid.proposal_decide, name="aid_proposal_decide"),
    path("aid/school/<str:code>/", aid.school, name="aid_school"),
    path("aid/school/<str:code>/notice/", aid.notice, name="aid_notice"),
    path("aid/export/<str:code>.xlsx", aid.export, name="aid_export"),
]
