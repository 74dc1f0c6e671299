//! Normalizers: each turns what a rep typed into a canonical form, or says precisely why it
//! cannot. Pure functions over static tables built once.

pub mod company_name;
pub mod credit_code;
pub mod date;
pub mod email;
pub mod id_number;
pub mod industry;
pub mod person;
pub mod phone;
pub mod regions;
pub mod text;
pub mod website;
