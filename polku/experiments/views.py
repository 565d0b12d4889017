from django.http import HttpResponse


def _todo(request, *args, **kwargs):
    return HttpResponse("")


board = experiment_edit = library = results = measure_types = detail = _todo
experiment_action = decide = checkin_app = adopt = links = checkin_link = _todo
