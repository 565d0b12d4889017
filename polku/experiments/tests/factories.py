"""Factories for experiments' tests."""

import factory

from polku.core.tests.factories import PathFactory, UnitFactory
from polku.experiments.models import Experiment, Measure, MeasureType


class MeasureTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MeasureType

    path = factory.SubFactory(PathFactory)
    name = factory.Sequence(lambda n: f"Measure {n}")
    kind = MeasureType.Kind.COUNT
    unit_label = "nuorta"


class ExperimentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Experiment

    path = factory.SubFactory(PathFactory)
    unit = factory.LazyAttribute(lambda o: UnitFactory(organisation=o.path.organisation))
    title = factory.Sequence(lambda n: f"Experiment {n}")
    contact_email = factory.Sequence(lambda n: f"team{n}@example.org")


class MeasureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Measure

    experiment = factory.SubFactory(ExperimentFactory)
    measure_type = factory.LazyAttribute(lambda o: MeasureTypeFactory(path=o.experiment.path))
    target = 10
