

def test_cli_drb_needs_both_files(tmp_path):
    from pipelines.cli import main

    assert main(["rubrics", "drb", "--drb-dir", str(tmp_path)]) == 2
