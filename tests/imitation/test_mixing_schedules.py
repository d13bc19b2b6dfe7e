"""DAgger beta schedules and PLATO's lambda schedule (rounds count from 0), and their text form."""
from __future__ import annotations

import pytest

from common.errors import ConfigError
from imitation.schedules import (ConstantBeta, ExponentialBeta, GeometricLambda, IndicatorBeta, LinearBeta,
                                 parse_beta_schedule, parse_lambda_schedule)


def test_indicator_is_one_in_round_zero_only():
    assert [IndicatorBeta()(i, 4) for i in range(4)] == [1.0, 0.0, 0.0, 0.0]


def test_exponential_is_p_to_the_round():
    assert [ExponentialBeta(0.5)(i, 4) for i in range(4)] == [1.0, 0.5, 0.25, 0.125]
    assert ExponentialBeta(0.9)(3, 4) == pytest.approx(0.729)


def test_linear_goes_from_one_to_zero_over_the_rounds():
    assert [LinearBeta()(i, 5) for i in range(6)] == [1.0, 0.75, 0.5, 0.25, 0.0, 0.0]
    assert [LinearBeta()(i, 1) for i in range(2)] == [1.0, 0.0]


def test_constant_is_p_in_every_round():
    assert [ConstantBeta(0.3)(i, 4) for i in range(4)] == [0.3] * 4
    assert ConstantBeta()(7, 8) == 1.0


def test_lambda_decreases_geometrically():
    assert [GeometricLambda(2.0, 0.5)(i) for i in range(3)] == [2.0, 1.0, 0.5]


def test_negative_rounds_and_bad_parameters_are_refused():
    with pytest.raises(ValueError):
        IndicatorBeta()(-1, 3)
    with pytest.raises(ValueError):
        ExponentialBeta(1.5)
    with pytest.raises(ValueError):
        LinearBeta()(0, 0)
    with pytest.raises(ConfigError) as err:
        GeometricLambda(1.0, 0.0)
    assert err.value.field == "ratio"


def test_parsing_schedule_names():
    assert parse_beta_schedule("indicator") == IndicatorBeta()
    assert parse_beta_schedule("exponential:0.8") == ExponentialBeta(0.8)
    assert parse_beta_schedule("exponential") == ExponentialBeta(0.5)
    assert parse_beta_schedule("linear") == LinearBeta()
    assert parse_beta_schedule("constant:0.25") == ConstantBeta(0.25)
    assert parse_lambda_schedule("1.0:0.25") == GeometricLambda(1.0, 0.25)
    for bad in ("cosine", "exponential:2", "linear:3", "indicator:1", "constant", "constant:1.5"):
        with pytest.raises(ConfigError) as err:
            parse_beta_schedule(bad)
        assert err.value.field == "beta"
    with pytest.raises(ConfigError) as err:
        parse_lambda_schedule("0:0.5")
    assert err.value.field == "lam"


def test_a_schedule_reads_back_from_its_text():
    for schedule in (IndicatorBeta(), ExponentialBeta(0.25), ExponentialBeta(1.0), LinearBeta(), ConstantBeta(0.4)):
        assert parse_beta_schedule(str(schedule)) == schedule
    assert parse_lambda_schedule(str(GeometricLambda(0.1, 2.0))) == GeometricLambda(0.1, 2.0)


def test_a_schedule_reads_back_from_its_config_json():
    from common.rundir import to_jsonable
    from imitation.schedules import schedule_from_json

    for schedule in (IndicatorBeta(), ExponentialBeta(0.25), LinearBeta(), ConstantBeta(0.4), GeometricLambda(0.1, 2.0)):
        assert schedule_from_json(to_jsonable(schedule)) == schedule
    with pytest.raises(ConfigError) as err:
        schedule_from_json({"name": "cosine"})
    assert err.value.field == "schedule"
