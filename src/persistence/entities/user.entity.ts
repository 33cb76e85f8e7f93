import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'users' })
export class UserEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('text') username: string;
  /** RFC 8265 comparison key of the username (src/users/username.ts), unique */
  @Column('text', { name: 'username_key' }) usernameKey: string;
  @Column('text', { name: 'password_hash' }) passwordHash: string;
  @Column('text', { array: true }) roles: string[];
  @Column('timestamptz', { name: 'disabled_at', nullable: true }) disabledAt: Date | null;
  @Column('text', { nullable: true }) email: string | null;
  @Column('boolean', { name: 'email_verified' }) emailVerified: boolean;
  @Column('text', { nullable: true }) name: string | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt: Date;
}
