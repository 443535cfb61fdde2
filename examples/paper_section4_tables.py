"""The tables, the Figure 9 sweep and the qualitative claims of the
paper's section 4 from the JSON files paper_section4.sh wrote (standard
library only; the numbers are jacspec's, this only arranges them).

usage: paper_section4_tables.py OUT SETTING
Writes OUT/table1.csv, table2.csv, table3.csv, tables.md, fig9.csv,
fig9.png (with gnuplot, when it is installed) and summary.json.
"""
import json
import os
import shutil
import subprocess
import sys

# The paper's Tables 1-3 (ResNet20 on CIFAR-10, 3 classes, top 50):
# |Pi_I y|, |Pi_N y|, |J_I^+ y|, |Pi_I r0|, |Pi_N r0|, |J_I^+ r0|, each over
# the vector's norm.
PAPER = {
    "table1": {"J_init": [0.724, 0.690, 5.44e-3, 0.886, 0.465, 4.10e-3],
               "J_final": [0.987, 0.158, 3.16e-3, 0.976, 0.217, 3.43e-3]},
    "table2": {"J_init": [0.702, 0.712, 5.36e-3, 0.814, 0.582, 4.43e-3],
               "J_final": [0.997, 0.078, 3.10e-3, 0.991, 0.136, 3.06e-3]},
    "table3": {"J_init": [0.587, 0.810, 1.72e-3, 0.643, 0.766, 1.98e-3],
               "J_final": [0.751, 0.660, 1.87e-3, 0.763, 0.646, 1.20e-3]},
}
COLUMNS = ["|Pi_I y|/|y|", "|Pi_N y|/|y|", "|J_I^+ y|/|y|",
           "|Pi_I r0|/|r0|", "|Pi_N r0|/|r0|", "|J_I^+ r0|/|r0|"]
RHOS = ["0", "0.25", "0.5", "0.75", "1"]


def load(out, name):
    with open(os.path.join(out, name + ".json")) as f:
        return json.load(f)


def row(run):
    """The six columns of a split (or train) JSON: labels, then r0."""
    return [run[z][part] for z in ("labels", "residual")
            for part in ("info", "nuisance", "pinv")]


def write_table(out, name, rows):
    with open(os.path.join(out, name + ".csv"), "w") as f:
        f.write("jacobian," + ",".join(COLUMNS) + "\n")
        for label, values in rows.items():
            f.write(label + "," + ",".join(f"{v:.6g}" for v in values) + "\n")


def markdown(title, rows, paper):
    lines = [f"**{title}**", "", "| | " + " | ".join(COLUMNS) + " |",
             "|---" * (len(COLUMNS) + 1) + "|"]
    for label in ("J_init", "J_final"):
        lines.append(f"| {label} (jacspec) | " +
                     " | ".join(f"{v:.3g}" for v in rows[label]) + " |")
        lines.append(f"| {label} (paper) | " +
                     " | ".join(f"{v:.3g}" for v in paper[label]) + " |")
    return "\n".join(lines) + "\n"


def curve(run, key):
    return [r[key] for r in run["rows"]]


def main(out, setting):
    init, sgd, adam = load(out, "init"), load(out, "sgd"), load(out, "adam")
    c50_init, c50_final, c50 = load(out, "init_c0.5"), load(out, "final_c0.5"), load(out, "c0.5")
    tables = {
        "table1": {"J_init": row(init), "J_final": row(sgd)},
        "table2": {"J_init": row(init), "J_final": row(adam)},
        "table3": {"J_init": row(c50_init), "J_final": row(c50_final)},
    }
    titles = {"table1": "Table 1: clean labels, SGD",
              "table2": "Table 2: clean labels, Adam",
              "table3": "Table 3: 50 % of the labels corrupted, SGD"}
    with open(os.path.join(out, "tables.md"), "w") as f:
        for name, rows in tables.items():
            write_table(out, name, rows)
            f.write(markdown(titles[name], rows, PAPER[name]) + "\n")

    # Figure 9: the nuisance share of the labels at J_init and J_final, and
    # the final test error, for each corruption level.
    sweep = []
    for rho in RHOS: # every level trained alike (the clean one again, as long)
        first, final = load(out, f"init_c{rho}"), load(out, f"final_c{rho}")
        run = c50 if rho == "0.5" else load(out, f"c{rho}")
        sweep.append({"corruption": float(rho),
                      "nuisance_init": first["labels"]["nuisance"],
                      "nuisance_final": final["labels"]["nuisance"],
                      "test_error": run["rows"][-1]["test_error"],
                      "train_error": run["rows"][-1]["train_error"]})
    with open(os.path.join(out, "fig9.csv"), "w") as f:
        f.write("corruption,nuisance_init,nuisance_final,test_error,train_error\n")
        for s in sweep:
            f.write(",".join(f"{s[k]:.6g}" for k in s) + "\n")
    if shutil.which("gnuplot"):
        script = os.path.join(out, "fig9.gp")
        with open(script, "w") as f:
            f.write(f"set terminal pngcairo size 800,500\nset output '{out}/fig9.png'\n"
                    "set datafile separator ','\nset key autotitle columnhead\n"
                    "set grid\nset xlabel 'fraction of labels corrupted'\n"
                    "set title 'Figure 9: label energy on N and the test error'\n"
                    f"plot '{out}/fig9.csv' using 1:2 with linespoints pt 7 title "
                    "'|{/Symbol P}_N y|/|y|, J_{init}', '' using 1:3 with linespoints pt 5 "
                    "title '|{/Symbol P}_N y|/|y|, J_{final}', '' using 1:4 with "
                    "linespoints pt 13 title 'test error'\n")
        subprocess.run(["gnuplot", script], check=True)

    # The claims the paper makes that a run can check.
    res_info, res_nuis = curve(sgd, "res_info"), curve(sgd, "res_nuisance")
    test_c50 = curve(c50, "test_error")
    claims = {
        # Table 1: the Jacobian adapts to the labels.
        "labels_info_grows": tables["table1"]["J_final"][0] > tables["table1"]["J_init"][0],
        # Figure 6: learning on I is fast, on N slow.
        "residual_info_falls_faster":
            res_info[-1] / res_info[0] < res_nuis[-1] / res_nuis[0],
        # Figure 8: with 50 % corruption the test error dips before the end.
        "corrupted_test_error_dips": min(test_c50[:-1]) < test_c50[-1],
        # Table 3 against Table 1 and Figure 9: corrupted labels lie more
        # on N of the trained Jacobian.
        "corrupted_labels_more_nuisance":
            tables["table3"]["J_final"][1] > tables["table1"]["J_final"][1],
    }
    summary = {"setting": setting, "tables": tables, "paper": PAPER, "figure9": sweep,
               "claims": claims,
               "figure5": {k: load(out, "density_" + k) for k in ("init", "final")},
               "runs": {"sgd": sgd, "adam": adam, "c50": c50}}
    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump(summary, f)
    print(open(os.path.join(out, "tables.md")).read())
    for s in sweep:
        print("corruption {corruption:g}: |Pi_N y|/|y| init {nuisance_init:.3f} final "
              "{nuisance_final:.3f}, test error {test_error:.3f}".format(**s))
    for name, holds in claims.items():
        print(f"{name}: {'holds' if holds else 'does not hold'}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
