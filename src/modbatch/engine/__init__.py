"""The domain: BPMN models, process instances, modification, batches and jobs. No HTTP here."""
