################################################################################
#
# python-kconfiglib
#
################################################################################

# Host only: edgetrace's Makefile runs kconfiglib (`python3 -m defconfig`,
# `-m genconfig`) to turn its Kconfig options into .config and autoconf.h.
PYTHON_KCONFIGLIB_VERSION = 14.1.0
PYTHON_KCONFIGLIB_SOURCE = kconfiglib-$(PYTHON_KCONFIGLIB_VERSION).tar.gz
PYTHON_KCONFIGLIB_SITE = https://files.pythonhosted.org/packages/source/k/kconfiglib
PYTHON_KCONFIGLIB_SETUP_TYPE = setuptools
PYTHON_KCONFIGLIB_LICENSE = ISC
PYTHON_KCONFIGLIB_LICENSE_FILES = LICENSE.txt

$(eval $(host-python-package))
