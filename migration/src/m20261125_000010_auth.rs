//! Accounts, server-side sessions and API keys.
//!
//! Secrets are never stored in the clear: `users.password_hash` is an argon2id
//! PHC string, `sessions.id_hash` and `api_keys.key_hash` are SHA-256 digests
//! of random tokens (a stolen database does not yield a usable cookie or key).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Users {
    Table,
    Id,
    Email,
    PasswordHash,
    Role,
    CreatedAtUs,
}

#[derive(DeriveIden, Clone, Copy)]
enum Sessions {
    Table,
    IdHash,
    UserId,
    CreatedAtUs,
    LastSeenAtUs,
    ExpiresAtUs,
}

#[derive(DeriveIden, Clone, Copy)]
enum ApiKeys {
    Table,
    Id,
    Name,
    Scope,
    KeyHash,
    Prefix,
    CreatedAtUs,
    LastUsedAtUs,
    RevokedAtUs,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_users(manager).await?;
        create_sessions(manager).await?;
        create_api_keys(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Sessions::Table.into_iden(),
            ApiKeys::Table.into_iden(),
            Users::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}

/// Users.
async fn create_users(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(Users::Table)
                .col(
                    ColumnDef::new(Users::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                // Stored lower-cased, so the unique index is case-insensitive.
                .col(
                    ColumnDef::new(Users::Email)
                        .string()
                        .not_null()
                        .unique_key(),
                )
                .col(ColumnDef::new(Users::PasswordHash).string().not_null())
                .col(ColumnDef::new(Users::Role).string().not_null())
                .col(ColumnDef::new(Users::CreatedAtUs).big_integer().not_null())
                .check(Expr::col(Users::Role).is_in(["admin", "viewer"]))
                .to_owned(),
        )
        .await?;
    Ok(())
}

/// Sessions, found by user too.
async fn create_sessions(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(Sessions::Table)
                .col(
                    ColumnDef::new(Sessions::IdHash)
                        .string()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(Sessions::UserId).big_integer().not_null())
                .col(
                    ColumnDef::new(Sessions::CreatedAtUs)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Sessions::LastSeenAtUs)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Sessions::ExpiresAtUs)
                        .big_integer()
                        .not_null(),
                )
                // Removing a user ends their sessions.
                .foreign_key(
                    ForeignKey::create()
                        .from(Sessions::Table, Sessions::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            Index::create()
                .name("ix_sessions_user_id")
                .table(Sessions::Table)
                .col(Sessions::UserId)
                .to_owned(),
        )
        .await?;
    Ok(())
}

/// API keys.
async fn create_api_keys(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(ApiKeys::Table)
                .col(
                    ColumnDef::new(ApiKeys::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(ColumnDef::new(ApiKeys::Name).string().not_null())
                .col(ColumnDef::new(ApiKeys::Scope).string().not_null())
                .col(
                    ColumnDef::new(ApiKeys::KeyHash)
                        .string()
                        .not_null()
                        .unique_key(),
                )
                .col(ColumnDef::new(ApiKeys::Prefix).string().not_null())
                .col(
                    ColumnDef::new(ApiKeys::CreatedAtUs)
                        .big_integer()
                        .not_null(),
                )
                .col(ColumnDef::new(ApiKeys::LastUsedAtUs).big_integer().null())
                .col(ColumnDef::new(ApiKeys::RevokedAtUs).big_integer().null())
                .check(Expr::col(ApiKeys::Scope).is_in(["ingest", "read"]))
                .to_owned(),
        )
        .await
}
