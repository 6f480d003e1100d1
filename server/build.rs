//! Rebuilds the server when a migration is added: `sqlx::migrate!` embeds server/migrations.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
