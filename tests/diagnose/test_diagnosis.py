import json

from orthotune.diagnose import Diagnosis, ErrorLevels, diagnose


def test_diagnosis_round_trips_as_json_with_schema_version():
    d = diagnose(
        ErrorLevels.from_rates(
            human_error="0.7%",
            train_error="3.5%",
            dev_error="7.8%",
            train_size=10_000,
            dev_size=1_000,
        )
    )
    data = json.loads(d.model_dump_json())
    assert data["schema_version"] == 1 and data["problem"] == "avoidable_bias"
    assert data["levels"]["train"]["error"] == 0.035  # a fraction, never a percent
    assert Diagnosis.model_validate_json(d.model_dump_json()) == d
