# SPDX-License-Identifier: MIT
# Checks the Conan 2 recipes without Conan (not installable here): parses them, then loads them
# against small stand-ins for the conan API and checks what they declare and compute.
#   python3 tests/packaging/conan/check_recipe.py <repository root>
import ast
import glob
import importlib.util
import os
import sys
import types

root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".")
recipes = [os.path.join(root, "conanfile.py"), os.path.join(root, "test_package", "conanfile.py")]
for path in recipes:
    with open(path, encoding="utf-8") as f:
        ast.parse(f.read(), path)  # raises SyntaxError with file and line


class ConanInvalidConfiguration(Exception):
    pass


class _Properties:
    def __init__(self):
        self.properties = {}
        self.bindirs = ["bin"]
        self.libdirs = ["lib"]

    def set_property(self, name, value):
        self.properties[name] = value


class _Settings(types.SimpleNamespace):
    pass


class ConanFile:
    version = None

    def __init__(self, cppstd="20"):
        self.settings = _Settings(compiler=_Settings(cppstd=cppstd))
        self.cpp_info = _Properties()
        self.recipe_folder = root
        self.info = types.SimpleNamespace(cleared=False)
        self.info.clear = lambda: setattr(self.info, "cleared", True)


def check_min_cppstd(conanfile, minimum):
    # Conan compares the number in compiler.cppstd, so "gnu20" satisfies 20.
    current = int("".join(c for c in str(conanfile.settings.compiler.cppstd) if c.isdigit()))
    if current < int(minimum):
        raise ConanInvalidConfiguration(
            f"Current cppstd ({current}) is lower than the required C++ standard ({minimum}).")


def load(conanfile, path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def _unused(*args, **kwargs):
    raise AssertionError("the check does not run build steps")


modules = {
    "conan": types.ModuleType("conan"),
    "conan.errors": types.ModuleType("conan.errors"),
    "conan.tools": types.ModuleType("conan.tools"),
    "conan.tools.build": types.ModuleType("conan.tools.build"),
    "conan.tools.cmake": types.ModuleType("conan.tools.cmake"),
    "conan.tools.files": types.ModuleType("conan.tools.files"),
}
modules["conan"].ConanFile = ConanFile
modules["conan.errors"].ConanInvalidConfiguration = ConanInvalidConfiguration
modules["conan.tools.build"].check_min_cppstd = check_min_cppstd
modules["conan.tools.build"].can_run = lambda conanfile: True
for name in ("CMake", "CMakeToolchain", "CMakeDeps", "cmake_layout"):
    setattr(modules["conan.tools.cmake"], name, _unused)
modules["conan.tools.files"].load = load
for name in ("copy", "rmdir", "get", "save"):
    setattr(modules["conan.tools.files"], name, _unused)
sys.modules.update(modules)


def load_recipe(path):
    spec = importlib.util.spec_from_file_location(os.path.basename(os.path.dirname(path)), path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    found = [v for v in vars(module).values()
             if isinstance(v, type) and issubclass(v, ConanFile) and v is not ConanFile]
    assert len(found) == 1, f"{path}: expected one ConanFile class, found {found}"
    return module, found[0]


errors = []


def expect(condition, message):
    if not condition:
        errors.append(message)


module, Recipe = load_recipe(recipes[0])
expect(getattr(module, "required_conan_version", "").startswith(">=2"), "required_conan_version must be >=2")
expect(Recipe.name == "mqttwire", "name must be mqttwire")
expect(Recipe.package_type == "header-library", "package_type must be header-library")
expect(Recipe.license == "MIT", "license must be MIT, like LICENSE")
expect(Recipe.no_copy_source, "a header-only recipe sets no_copy_source")
for pattern in Recipe.exports_sources:
    expect(glob.glob(os.path.join(root, pattern)), f"exports_sources '{pattern}' matches nothing")

recipe = Recipe()
recipe.set_version()
with open(os.path.join(root, "include", "mqttwire", "version.hpp"), encoding="utf-8") as f:
    expect(f'MQTTWIRE_VERSION_STRING "{recipe.version}"' in f.read(),
           f"set_version() gives {recipe.version}, which version.hpp does not say")
recipe.package_id()
expect(recipe.info.cleared, "package_id() must clear the settings (one package for all)")
for cppstd in ("20", "gnu20", "23"):
    Recipe(cppstd).validate()
for cppstd in ("17", "gnu17", "14"):
    try:
        Recipe(cppstd).validate()
        errors.append(f"validate() accepted compiler.cppstd={cppstd}")
    except ConanInvalidConfiguration:
        pass
recipe.package_info()
props = recipe.cpp_info.properties
expect(props.get("cmake_file_name") == "mqttwire", "cmake_file_name must be mqttwire")
expect(props.get("cmake_target_name") == "mqttwire::mqttwire", "cmake_target_name must be mqttwire::mqttwire")
expect(props.get("pkg_config_name") == "mqttwire", "pkg_config_name must be mqttwire")
expect(recipe.cpp_info.bindirs == [] and recipe.cpp_info.libdirs == [], "no bindirs/libdirs for headers")

_, Test = load_recipe(recipes[1])
expect("CMakeDeps" in Test.generators, "test_package must use CMakeDeps")
expect(getattr(Test, "test_type", None) == "explicit", "test_package must set test_type = 'explicit'")
with open(os.path.join(root, "test_package", "CMakeLists.txt"), encoding="utf-8") as f:
    text = f.read()
    expect("find_package(mqttwire REQUIRED CONFIG)" in text and "mqttwire::mqttwire" in text,
           "test_package/CMakeLists.txt must use the names package_info() gives CMakeDeps")

if errors:
    print("conan recipe problems:\n  " + "\n  ".join(errors))
    sys.exit(1)
print(f"conan recipes: mqttwire/{recipe.version} declares what CMakeDeps and PkgConfigDeps need")
