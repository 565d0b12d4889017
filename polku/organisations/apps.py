from django.apps import AppConfig


class OrganisationsConfig(AppConfig):
    name = "polku.organisations"
    label = "organisations"
