//! Build script of the `fedcat` package: checks that the toolchain the RocksDB build needs is
//! installed, and fails with a message that says what to install when it is not.
//!
//! Oxigraph stores its data in RocksDB, which the `oxrocksdb-sys` crate compiles from C++ and
//! binds with bindgen, which loads libclang. Without them that crate fails after compiling for
//! many minutes, with an error about bindgen. This check looks for the files only (no program
//! runs but `llvm-config`), and cargo runs it again only when one of the variables below
//! changes. `FEDCAT_SKIP_TOOLCHAIN_CHECK=1` skips it, for a toolchain it does not know where to
//! find.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    for var in ["LIBCLANG_PATH", "CXX", "FEDCAT_SKIP_TOOLCHAIN_CHECK"] {
        println!("cargo:rerun-if-env-changed={var}");
    }
    // Windows keeps libclang elsewhere (and names it differently): not checked there.
    if env::var_os("FEDCAT_SKIP_TOOLCHAIN_CHECK").is_some_and(|v| v == "1") || cfg!(windows) {
        return;
    }
    let mut missing = Vec::new();
    if !has_libclang() {
        missing.push(match env::var_os("LIBCLANG_PATH") {
            Some(path) => format!(
                "libclang: LIBCLANG_PATH={} holds no libclang.so or libclang.dylib",
                path.display()
            ),
            None => "libclang (bindgen loads it to write RocksDB's bindings): no libclang.so or \
                     libclang.dylib in `llvm-config --libdir` or the usual library directories"
                .to_owned(),
        });
    }
    if !has_cxx() {
        missing.push(match env::var("CXX") {
            Ok(cxx) => format!("a C++ compiler: CXX={cxx} is not a program on PATH"),
            Err(_) => {
                "a C++ compiler: none of c++, clang++ or g++ is on PATH (or set CXX)".to_owned()
            }
        });
    }
    if missing.is_empty() {
        return;
    }
    eprintln!(
        "\nerror: fedcat cannot be built: RocksDB, which Oxigraph compiles from C++, needs a C++ \
         compiler and libclang."
    );
    for what in &missing {
        eprintln!("  missing: {what}");
    }
    eprintln!(
        "\nInstall them, then build again:\n  \
         Debian/Ubuntu:  sudo apt-get install clang libclang-dev\n  \
         Fedora:         sudo dnf install clang clang-devel\n  \
         macOS:          xcode-select --install, or brew install llvm and \
         LIBCLANG_PATH=\"$(brew --prefix llvm)/lib\"\n\
         or set LIBCLANG_PATH to the directory that holds libclang.\n\
         FEDCAT_SKIP_TOOLCHAIN_CHECK=1 skips this check.\n"
    );
    std::process::exit(1);
}

/// Where bindgen (clang-sys) looks: `LIBCLANG_PATH` alone when set, else `llvm-config`'s
/// library directory and the usual directories of Linux distributions, Homebrew and Xcode.
fn has_libclang() -> bool {
    if let Some(path) = env::var_os("LIBCLANG_PATH") {
        let path = PathBuf::from(path);
        let is_file = path.is_file() && file_name(&path).is_some_and(is_libclang);
        return is_file || holds_libclang(&path);
    }
    let llvm_libdir = Command::new("llvm-config")
        .arg("--libdir")
        .output()
        .ok()
        .filter(|out| out.status.success())
        .map(|out| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()));
    if llvm_libdir.is_some_and(|dir| holds_libclang(&dir)) {
        return true;
    }
    let mut dirs: Vec<PathBuf> = [
        "/usr/lib",
        "/usr/lib64",
        "/usr/local/lib",
        "/opt/homebrew/opt/llvm/lib",
        "/usr/local/opt/llvm/lib",
        "/Library/Developer/CommandLineTools/usr/lib",
        "/Applications/Xcode.app/Contents/Developer/Toolchains/XcodeDefault.xctoolchain/usr/lib",
    ]
    .iter()
    .map(PathBuf::from)
    .collect();
    // /usr/lib/llvm-14/lib (Debian), /usr/lib64/llvm17/lib (Fedora), /usr/lib/x86_64-linux-gnu.
    for parent in ["/usr/lib", "/usr/lib64", "/usr/local"] {
        for dir in subdirs(Path::new(parent)) {
            let name = file_name(&dir).unwrap_or_default();
            if name.starts_with("llvm") {
                dirs.push(dir.join("lib"));
                dirs.push(dir.join("lib64"));
            } else if name.contains("-linux-") {
                dirs.push(dir);
            }
        }
    }
    if let Some(paths) = env::var_os("LD_LIBRARY_PATH") {
        dirs.extend(env::split_paths(&paths));
    }
    dirs.iter().any(|dir| holds_libclang(dir))
}

/// Whether `dir` holds a file named as libclang is: `libclang.so`, `libclang.so.1`,
/// `libclang-14.so.1`, `libclang.dylib`.
fn holds_libclang(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries
            .flatten()
            .any(|entry| entry.file_name().to_str().is_some_and(is_libclang))
    })
}

fn is_libclang(name: &str) -> bool {
    let Some(rest) = name.strip_prefix("libclang") else {
        return false;
    };
    if rest == ".dylib" {
        return true;
    }
    // A version may come before `.so`; `libclang-cpp.so` (the C++ API) and the static
    // `libclangAST.a` are other libraries.
    let Some((version, after)) = rest.split_once(".so") else {
        return false;
    };
    let version_ok = version.is_empty()
        || version
            .strip_prefix('-')
            .is_some_and(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit() || b == b'.'));
    version_ok && (after.is_empty() || after.starts_with('.'))
}

/// A C++ compiler the `cc` crate would use: `CXX` (its first word: `ccache g++`), else `c++`,
/// `clang++` or `g++`.
fn has_cxx() -> bool {
    match env::var("CXX") {
        Ok(cxx) => cxx.split_whitespace().next().is_some_and(is_program),
        Err(_) => ["c++", "clang++", "g++"].into_iter().any(is_program),
    }
}

fn is_program(name: &str) -> bool {
    let path = Path::new(name);
    if path.components().count() > 1 {
        return path.is_file();
    }
    env::var_os("PATH")
        .is_some_and(|paths| env::split_paths(&paths).any(|dir| dir.join(name).is_file()))
}

fn subdirs(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|entry| entry.path())
                .filter(|path| path.is_dir())
                .collect()
        })
        .unwrap_or_default()
}

fn file_name(path: &Path) -> Option<&str> {
    path.file_name().and_then(|name| name.to_str())
}
