from automation.rules import views as rules

app_name = "automation"
urlpatterns = [
    *rules.urlpatterns,
]
