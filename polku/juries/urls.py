app_name = "juries"

urlpatterns: list = []
