include $(sort $(wildcard $(BR2_EXTERNAL_EDGETRACE_PATH)/package/*/*.mk))
