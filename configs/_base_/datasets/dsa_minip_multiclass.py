# dsa_minip with the five occlusion classes instead of the single class 'occlusion'.
_base_ = ['./dsa_minip.py']

classes = ('M1', 'M2', 'ICA_intracranial', 'ICA_extracranial', 'unknown')
train_dataloader = dict(dataset=dict(metainfo=dict(classes=classes), single_class=False))
val_dataloader = dict(dataset=dict(metainfo=dict(classes=classes), single_class=False))
test_dataloader = dict(dataset=dict(metainfo=dict(classes=classes), single_class=False))
val_evaluator = dict(single_class=False)
test_evaluator = dict(single_class=False)
