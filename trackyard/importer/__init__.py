"""`trackyard import`: an MLflow deployment (a tracking database or an `mlruns` folder)
copied into a trackyard store, with its artifacts.

model.py is the shape every source is read into; mlflow_db.py and mlflow_files.py read the
two kinds of source; writer.py writes into the store in bulk; artifacts.py copies files;
pipeline.py runs the phases; summary.py reports.
"""
