"""Hostile input, second round (issue #31), on the viewer's command line: every number in a documented range
(checked at parse time, before anything is built), --stills within the video's frames, bad clips named."""

import pytest
from bidir_viewer import cli


@pytest.mark.parametrize("args, message", [
    (["--seconds", "1e9"], "argument --seconds: must be in (0, 3600], got 1e9"),      # was: no bound
    (["--seconds", "inf"], "argument --seconds: must be in (0, 3600], got inf"),      # was: OverflowError
    (["--seconds", "nan"], "argument --seconds: must be in (0, 3600], got nan"),
    (["--fps", "1000000000"], "argument --fps: must be in [1, 120]"),                 # was: handed to libx264
    (["--fps", "29.97"], "argument --fps: '29.97' is not an integer"),
    (["--seed", "-1"], "argument --seed: must be in [0, 2147483647], got -1"),        # was: gymnasium's traceback
    (["--speed", "1e9"], "argument --speed: must be in (0, 100]"),
    (["--distance", "-3"], "argument --distance: must be in [0.1, 1000]"),
    (["--body-opacity", "0"], "argument --body-opacity: must be in (0, 1]"),
    (["--warmup", "1e9"], "argument --warmup: must be in [0, 600]"),
    (["--benchmark", "0"], "argument --benchmark: must be in [1, 100000]"),
    (["--exit-after-frames", "-5"], "argument --exit-after-frames: must be in [1, 1000000]"),
    (["--stills", "33"], "argument --stills: must be in [0, 32]"),
    (["--model", ""], "argument --model: is empty; give a path"),
])
def test_numbers_are_bounded_at_parse_time(args, message, capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--env", "A2_sep", *args])
    assert exit_.value.code == 2 and message in capsys.readouterr().err


def test_empty_paths_are_refused(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--env", ""])
    assert "argument --env: is empty; give a path" in capsys.readouterr().err


def test_stills_are_at_most_the_videos_frames(capsys, tmp_path):
    # was: --stills 32 on a 3-frame recording wrote 3 stills and reported 32
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--env", "A2_sep", "--record", str(tmp_path / "v.mp4"), "--seconds", "0.1", "--stills", "32"])
    assert exit_.value.code == 2
    assert "--stills 32 is more than the 3 frame(s) of the video (--seconds 0.1 x --fps 30)" in capsys.readouterr().err
    from bidir_viewer.headless import record

    with pytest.raises(ValueError, match=r"stills must be in \[0, 3\] \(the video's frames\), got 32"):
        record(None, tmp_path / "v.mp4", seconds=0.1, fps=30, stills=32)


def test_a_degenerate_clip_is_named_before_any_window(tmp_path, capsys):
    # was: numpy.linalg.LinAlgError: SVD did not converge
    clip = tmp_path / "flat.bvh"
    joints = "".join(f"  JOINT {name}\n  {{\n    OFFSET 0 0 0\n    CHANNELS 3 Zrotation Xrotation Yrotation\n"
                     f"    End Site\n    {{\n      OFFSET 0 0 0\n    }}\n  }}\n"
                     for name in ("Spine", "Neck", "LeftUpLeg", "LeftLeg", "LeftFoot", "RightUpLeg", "RightLeg",
                                  "RightFoot"))
    frames = " ".join(["0"] * 30)
    clip.write_text("HIERARCHY\nROOT Hips\n{\n  OFFSET 0 0 0\n  CHANNELS 6 Xposition Yposition Zposition Zrotation "
                    f"Xrotation Yrotation\n{joints}}}\nMOTION\nFrames: 2\nFrame Time: 0.0333333\n{frames}\n{frames}\n")
    assert cli.main(["--motion", str(clip), "--screenshot", str(tmp_path / "x.png")]) == 2
    err = capsys.readouterr().err
    assert "bidir-viewer: error:" in err and "flat.bvh: joints 'LeftUpLeg', 'RightUpLeg': the hips are at the same " \
        "place in the rest pose" in err
