# MinIP baseline with the five occlusion classes.
_base_ = ['./yolox_s_minip_dsa.py']

classes = ('M1', 'M2', 'ICA_intracranial', 'ICA_extracranial', 'unknown')
model = dict(bbox_head=dict(num_classes=5))
train_dataloader = dict(dataset=dict(metainfo=dict(classes=classes), single_class=False))
val_dataloader = dict(dataset=dict(metainfo=dict(classes=classes), single_class=False))
test_dataloader = dict(dataset=dict(metainfo=dict(classes=classes), single_class=False))
val_evaluator = dict(single_class=False)
test_evaluator = dict(single_class=False)
