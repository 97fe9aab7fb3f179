// rsfiles.rs — a Rust program (Debian's rustc and wasm32-wasi std) run three or four ways
// by corpus.sh: its environment and arguments, then files through std::fs: create a
// directory, write, append, read back, metadata, list, rename, remove. Rust's std reads
// the environment with environ_sizes_get/environ_get and exits 71 (EX_OSERR) when they
// fail, so an empty environment must be a success with zero variables.
use std::fs;
use std::io::{Read, Write};

fn main() -> std::io::Result<()> {
    let mut vars: Vec<(String, String)> = std::env::vars().collect();
    vars.sort();
    println!("env: {} variables", vars.len());
    for (k, v) in &vars {
        println!("env {}={}", k, v);
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    println!("args: {:?}", args);

    let dir = "/data/rs";
    fs::create_dir(dir)?;
    fs::write(format!("{}/a.txt", dir), b"hello from rust\n")?;
    let mut f = fs::OpenOptions::new().append(true).open(format!("{}/a.txt", dir))?;
    f.write_all(b"appended\n")?;
    f.sync_all()?;
    drop(f);
    let mut text = String::new();
    fs::File::open(format!("{}/a.txt", dir))?.read_to_string(&mut text)?;
    print!("read back: {}", text);
    let md = fs::metadata(format!("{}/a.txt", dir))?;
    println!("len {} file {} dir {}", md.len(), md.is_file(), md.is_dir());
    fs::create_dir(format!("{}/sub", dir))?;
    fs::rename(format!("{}/a.txt", dir), format!("{}/sub/b.txt", dir))?;
    let mut names: Vec<String> = fs::read_dir(format!("{}/sub", dir))?
        .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect::<Result<_, _>>()?;
    names.sort();
    println!("sub holds {:?}", names);
    match fs::remove_dir(format!("{}/sub", dir)) {
        Ok(()) => println!("remove_dir of a non-empty directory: ok (wrong)"),
        Err(e) => println!("remove_dir of a non-empty directory: {:?}", e.kind()),
    }
    match fs::File::open(format!("{}/missing", dir)) {
        Ok(_) => println!("open missing: ok (wrong)"),
        Err(e) => println!("open missing: {:?}", e.kind()),
    }
    fs::remove_dir_all(dir)?;
    println!("removed: {}", !std::path::Path::new(dir).exists());
    Ok(())
}
